"""Configuration defaults and the secrets a running app must have."""
import os
import secrets
from urllib.parse import urlsplit

DEFAULTS = {
    "SECRET_KEY": None,
    "JWT_SECRET": None,
    "JWT_EXPIRES": 3600,
    "SQLALCHEMY_DATABASE_URI": None,  # None: SQLite file in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_recycle": 3600},
    "SUPPORT_INBOX": "admin",
    "MAX_MESSAGE_LENGTH": 2000,  # characters (code points: an emoji may count 1 or, with modifiers, a few)
    "EDIT_WINDOW": 900,  # seconds after sending in which the author may edit or delete a message (0: never)
    "CORS_ALLOWED_ORIGINS": None,  # None: same origin only
    "SOCKETIO_MESSAGE_QUEUE": None,  # e.g. redis://127.0.0.1:6379/0: processes become one chat
    "SOCKETIO_CHANNEL": "soporte",  # the queue's channel: one per chat sharing a Redis
    "ASYNC_MODE": None,  # None: eventlet when monkey-patched, else threading
    "REGISTRATION_OPEN": True,
    "COOKIE_SECURE": False,
    "WRITER_BATCH_SIZE": 500,
    # seconds the storer lets journaled rows gather before it stores them: one transaction
    # (and one spool segment) for all of them, instead of one per group the journaler wrote
    "WRITER_INTERVAL": 0.1,
    # a serving process stores in an OS process of its own (soporte/relay/storer_process.py),
    # on another core; False: in a background task of the server process
    "STORER_PROCESS": True,
    "SPOOL_DIR": None,  # None: instance/spool; the journal of messages not yet stored
    "ACK_TIMEOUT": 10.0,  # seconds a sender waits for its message to be durable
    "READY_TIMEOUT": 2.0,  # seconds /readyz gives the database to connect and to answer SELECT 1
    "NODE_ID": None,  # 0..31, distinct per process sharing a database; None: leased in Redis, else random
    "NODE_LEASE_SECONDS": 30,  # with Redis: the node lease's TTL (renewed every third, given up after two thirds)
    "DEMO_ACCOUNTS": True,  # debug mode only: create demo users in an empty database
    # security (see soporte/web/security.py, realtime/sessions.py, realtime/throttle.py, accounts/directory.py)
    "ROLE_CACHE_TTL": 10.0,  # seconds an account's role is trusted before the database is asked again (0: always ask)
    "TOKEN_SWEEP_INTERVAL": 5.0,  # seconds between closing sockets whose token expired, was revoked or lost its role
    "LOGIN_RATE_LIMIT": "10 per minute",  # failed POST /login per client address (Flask-Limiter syntax)
    "REGISTRATION_RATE_LIMIT": "10 per hour",  # POST /registro per client address
    "DATA_EXPORT_RATE_LIMIT": "10 per hour",  # archives of a customer's data per account (soporte/privacy/api.py)
    "INBOX_WRITE_RATE_LIMIT": "60 per minute",  # an agent's REST writes per account, each area one allowance (canned replies, labels, customer notes)
    # agent management (see soporte/team/): how long a link to set a password works, and how often
    # one client address may open or post the link's page
    "INVITATION_TTL": 72,  # hours
    "INVITATION_RATE_LIMIT": "30 per hour",
    "RATELIMIT_STORAGE_URI": None,  # None: the Redis of SOCKETIO_MESSAGE_QUEUE if any, else memory://
    "TRUSTED_PROXIES": 0,  # proxies in front that append X-Forwarded-For (1 behind deploy/nginx.conf)
    "MESSAGE_RATE": 5.0,  # messages per second one socket may send, sustained (a token bucket)
    "MESSAGE_BURST": 20,  # messages one socket may send at once before MESSAGE_RATE applies
    # refused payloads cost no message; these bound them (a lookup each): past them a socket is muted
    "REFUSAL_RATE": 20.0,  # refused payloads per second one socket may send, sustained
    "REFUSAL_BURST": 100,  # refused payloads one socket may send at once before REFUSAL_RATE applies
    # the websocket transport under eventlet (see soporte/realtime/websocket_guard.py)
    "WEBSOCKET_FRAME_LIMIT_BEFORE_CONNECT": 4096,  # bytes a frame may have until the socket's Socket.IO connect succeeds
    "WEBSOCKET_BYTES_PER_SECOND": 262144,  # bytes one websocket may send a second, sustained; past it that socket is closed (1008)
    "WEBSOCKET_BYTES_BURST": 1048576,  # bytes one websocket may send at once before WEBSOCKET_BYTES_PER_SECOND applies
    "WEBSOCKET_UNSENT_LIMIT": 4194304,  # bytes waiting for a client that does not read, past which its socket is closed
    # presence and typing (see soporte/presence/online.py, presence/typing.py)
    "PRESENCE_TTL": 15.0,  # seconds a process's online users outlive its last beat in Redis (a killed process)
    "PRESENCE_INTERVAL": 5.0,  # seconds between beats: each refreshes this process and reaps dead ones
    "OPERATIONS_REFRESH_MS": 5000,  # how often the operations page asks for its figures
    "OPERATIONS_PUBLISH_SECONDS": 5,  # with Redis: how often each process publishes its figures
    "STALL_LOG_MS": 0,  # eventlet: log the stack of anything holding the event loop longer (0: off; bench uses 10)
    "TYPING_INTERVAL": 2.0,  # seconds: at most one escribiendo relayed per typist and conversation
    # assignment (see soporte/inbox/assignment.py)
    "AUTO_ASSIGN": False,  # a new or reopened conversation goes to the online agent with the fewest open ones
    "AGENT_CAPACITY": 5,  # open conversations automatic assignment gives one agent at most
    # seconds an assignee may be offline before their open conversations go back to the pool (0: never)
    "OFFLINE_RELEASE_AFTER": 900.0,
    "ASSIGN_INTERVAL": 2.0,  # seconds between the assigner's sweeps (it also wakes on each opening here)
    # attachments (see soporte/files/): where the files live, and what a message may carry
    "ATTACHMENTS_DIR": None,  # None: instance/adjuntos; a shared volume when several hosts serve the chat
    "ATTACHMENT_MAX_SIZE": 10 * 1024 * 1024,  # bytes one file may have
    "ATTACHMENTS_PER_MESSAGE": 5,
    # MIME types allowed, as found in the content (soporte/files/detect.py), never as the name says
    "ATTACHMENT_TYPES": "image/png image/jpeg image/gif image/webp application/pdf text/plain application/zip",
    "ATTACHMENT_UPLOAD_RATE_LIMIT": "30 per minute",  # POST /api/adjuntos per account
    "ATTACHMENT_ORPHAN_AGE": 86400.0,  # seconds an upload may wait for its message before the sweep deletes it
    "ATTACHMENT_SWEEP_INTERVAL": 3600.0,  # seconds between sweeps of such uploads
    "THUMBNAIL_SIZE": 320,  # pixels: the longer side of an image's thumbnail
    # email (see soporte/mail/): the outbox is sent through SMTP_URL, e.g. smtp://user:pass@host:587?starttls=1
    # or smtps://user:pass@host:465; None: emails wait in the outbox (nothing is sent)
    "SMTP_URL": None,
    "MAIL_FROM": "soporte@localhost",  # the From of every email
    "PUBLIC_URL": "http://localhost:5000",  # where the links in emails point (the site as customers reach it)
    "REPLY_EMAIL_DELAY": 120.0,  # seconds an agent's reply waits unread before it is emailed to an offline customer
    "MAIL_INTERVAL": 5.0,  # seconds between the mailer's rounds (offline replies, new conversations, the outbox)
    "MAIL_MAX_ATTEMPTS": 8,  # attempts before an email is left as fallido
    "MAIL_RETRY_BASE": 30.0,  # seconds before the first retry; doubled after each failure
    "MAIL_KEEP_DAYS": 30,  # days a sent email stays in the outbox (its text is personal data), then it is deleted
    "SMTP_TIMEOUT": 20.0,  # seconds an SMTP connection or command may take
    "EMAIL_RATE_LIMIT": "10 per hour",  # a customer's address changes and transcript requests, per account
    # the website widget (see soporte/widget/): the sites that may frame it, space or comma separated
    # ("https://www.example.com"); empty: none may ("*" is refused: any site could then frame the chat)
    "WIDGET_ORIGINS": "",
    "GUESTS_ENABLED": True,  # a visitor may chat without an account (POST /api/widget/invitado)
    "GUEST_RATE_LIMIT": "5 per hour",  # guests created per client address
    # seconds a guest's token lasts (JWT_EXPIRES is everyone else's): a guest has no password, so it is
    # their only way back to their conversation; the widget renews it past half its life (/api/widget/renovar)
    "GUEST_TOKEN_EXPIRES": 30 * 86400,
    # what the widget's pre-chat form asks, comma separated, "*" after a field: required ("nombre,email*");
    # empty: no form
    "PRECHAT_FIELDS": "nombre",
    # the website's secret for verified identity: the HMAC-SHA256 of a user's id with it proves the id
    # (POST /api/widget/identidad); empty: verified identity is off
    "IDENTITY_SECRET": "",
}

MIN_SECRET_BYTES = 32


class ConfigError(SystemExit):
    """A configuration the app refuses to start with; its message is one line."""


def ensure_secrets(app, serving=True):
    """Fill SECRET_KEY and JWT_SECRET, generating them only in development or for a one-off command.

    A server outside debug and testing stops on a missing or short secret, since a
    guessable JWT secret lets anyone forge an admin token. A one-off command
    (serving=False: create-user, db upgrade, --help) signs nothing that outlives it,
    so it gets a random secret for its own run, kept nowhere.
    """
    development = app.debug or app.testing
    for key in ("JWT_SECRET", "SECRET_KEY"):
        value = app.config.get(key)
        if value and len(str(value).encode()) >= MIN_SECRET_BYTES:
            app.config[key] = str(value)  # from_prefixed_env may have parsed digits as JSON
            continue
        if not development and not serving:
            app.config[key] = secrets.token_hex(32)
            continue
        if not development:
            raise ConfigError(
                f"soporte: set SOPORTE_{key} to a random string of at least "
                f"{MIN_SECRET_BYTES} bytes (e.g. `python -c 'import secrets; "
                f"print(secrets.token_hex(32))'`), or run with --debug for development"
            )
        app.config[key] = _instance_secret(app, key.lower())


def _instance_secret(app, name):
    """Read a development secret from the instance folder, creating it once."""
    path = os.path.join(app.instance_path, f"dev-{name}")
    try:
        # O_EXCL: when two processes start at once (the reloader), one writes
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path) as f:
            return f.read().strip()
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value


PRECHAT_CHOICES = ("nombre", "email")  # the pre-chat form's fields, in the order it asks them


def check_widget_settings(app):
    """Parse the widget's settings in place (WIDGET_ORIGINS a list, PRECHAT_FIELDS a list of (field, required)).

    A bad value stops the app at startup with one line that names the setting, as a missing
    secret does: a typo must not frame the chat for the wrong site or drop a required field.
    """
    config = app.config
    try:
        config["WIDGET_ORIGINS"] = widget_origins(config["WIDGET_ORIGINS"])
        config["PRECHAT_FIELDS"] = prechat_fields(config["PRECHAT_FIELDS"])
    except ValueError as error:
        raise ConfigError(f"soporte: {error}") from None
    if not isinstance(config["GUESTS_ENABLED"], bool):
        raise ConfigError("soporte: SOPORTE_GUESTS_ENABLED must be true or false")
    expires = config["GUEST_TOKEN_EXPIRES"]
    if not isinstance(expires, int) or isinstance(expires, bool) or expires <= 0:
        raise ConfigError("soporte: SOPORTE_GUEST_TOKEN_EXPIRES must be a whole number of seconds above 0")
    config["IDENTITY_SECRET"] = str(config["IDENTITY_SECRET"] or "")
    if config["IDENTITY_SECRET"] and len(config["IDENTITY_SECRET"].encode()) < MIN_SECRET_BYTES // 2:
        raise ConfigError(f"soporte: SOPORTE_IDENTITY_SECRET must have at least {MIN_SECRET_BYTES // 2} bytes "
                          "(or be empty: verified identity off)")


def widget_origins(value):
    """WIDGET_ORIGINS ("https://a.example https://b.example:8443") as a list, normalized; ValueError on a bad one."""
    if isinstance(value, (list, tuple)):
        value = " ".join(value)
    origins = []
    for origin in str(value or "").replace(",", " ").split():
        parts = urlsplit(origin)
        try:
            port = parts.port  # a port that is not a number raises here
        except ValueError:
            port = None
            parts = parts._replace(netloc="")
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
                or parts.query or parts.fragment or parts.username or parts.password or "*" in origin):
            raise ValueError(f"SOPORTE_WIDGET_ORIGINS: {origin!r} is not an origin like https://www.example.com "
                             "(scheme and host, an optional port, no path; \"*\" is not allowed)")
        origins.append(f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else ""))
    return list(dict.fromkeys(origins))


def prechat_fields(value):
    """PRECHAT_FIELDS ("nombre,email*") as [(field, required)]; ValueError on an unknown or repeated field."""
    if isinstance(value, (list, tuple)) and all(isinstance(f, tuple) for f in value):
        return list(value)  # already parsed (a second app on the same mapping)
    fields = []
    for item in str(value or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, required = item.rstrip("*").strip(), item.endswith("*")
        if name not in PRECHAT_CHOICES or name in (f for f, _ in fields) or item.count("*") > 1:
            raise ValueError(f"SOPORTE_PRECHAT_FIELDS: {item!r} is not one of {', '.join(PRECHAT_CHOICES)} "
                             "(each once, \"*\" after a required one, e.g. \"nombre,email*\")")
        fields.append((name, required))
    return fields


def engine_options(uri, options):
    """Engine options with timeouts, so a dead database fails fast instead of hanging."""
    options = dict(options)
    if uri.startswith("mysql"):
        options.setdefault("connect_args", {"connect_timeout": 5, "read_timeout": 30,
                                            "write_timeout": 30, "charset": "utf8mb4"})
    elif uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 15})
    return options


def split_origins(value):
    """Turn a comma-separated origins setting into what Socket.IO expects."""
    if isinstance(value, str):
        value = [o.strip() for o in value.split(",") if o.strip()]
        if value == ["*"]:
            return "*"
    # an empty list would turn python-engineio's Origin check off: empty means same origin
    return value or None


def redis_url(config):
    """The Redis that the processes of this chat share (SOCKETIO_MESSAGE_QUEUE), or None."""
    queue = config.get("SOCKETIO_MESSAGE_QUEUE")
    return queue if queue and queue.startswith(("redis://", "rediss://", "unix://")) else None
