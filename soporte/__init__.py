"""soporte: a self-hosted, real-time support chat."""
import logging
import os
import sys

from flask import Flask

from soporte import config, mysql_tls
from soporte.extensions import db, migrate, socketio

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(test_config=None, instance_path=None):
    """Build the app: defaults, instance/config.py, SOPORTE_* variables, then test_config.

    instance_path: the instance folder (default: Flask's, `instance/` beside the package).
    """
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(config.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SOPORTE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "sqlite:///" + os.path.join(app.instance_path, "soporte.sqlite"))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    live = serving()
    config.ensure_secrets(app, serving=live)
    config.check_widget_settings(app)  # a bad origin or pre-chat field stops here, with its setting's name
    live = live and not app.testing  # what only a real server runs: the replay, the node lease, background tasks
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    mysql_tls.install()  # one SSLContext for PyMySQL's preferred TLS, not one per new connection
    db.init_app(app)
    # the migrations travel with the package, so `flask --app soporte db upgrade` works anywhere
    # batch mode: SQLite alters a table by copying it
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)
    from soporte.web import security  # here, not at the top, as the imports below

    security.init_csrf(app)  # first of the request hooks, as CSRFProtect's own would be
    # here, not at the top: importing one module of the package (tokens, models) must not load the whole app
    from soporte.accounts import demo, directory, revocation
    from soporte.event_table import EVENTS
    from soporte.files import attachments
    from soporte.hours import views as hours_views
    from soporte.inbox import assignment, routes
    from soporte.mail import mailer, routes as mail_routes
    from soporte.ops import cli, health, operations, reports_page, stalls
    from soporte.presence import online, typing
    from soporte.privacy import erase
    from soporte.realtime import binder, sessions
    from soporte.realtime.compression import without_websocket_compression
    from soporte.realtime.devserver_websocket import websocket_ends_quietly
    from soporte.relay import freshness
    from soporte.relay.chat import Chat
    from soporte.team import invitation, views as team_views
    from soporte.web import auth, error_pages, i18n, views
    from soporte.widget import api as widget_api, page as widget_page

    init_socketio(app)
    binder.bind(app, EVENTS)  # every Socket.IO event, from the one table
    app.wsgi_app = without_websocket_compression(app.wsgi_app)  # outside Socket.IO's middleware
    app.wsgi_app = websocket_ends_quietly(app.wsgi_app)  # `flask run` only: no traceback, no 500 per websocket
    security.init_app(app)  # headers on every response, rate-limit storage
    i18n.init_app(app)
    directory.init_app(app)  # who is who: the cache of roles
    app.extensions["soporte"] = chat = Chat(app)
    revocation.init_app(app)  # logged-out tokens, before anything reads a token
    sessions.init_app(app)  # live sockets, logouts, the sweep of expired tokens
    online.init_app(app)  # who is online (seguir_presencia), and the beat that expires dead processes
    typing.init_app(app)  # escribiendo's throttle
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(routes.bp)  # every route under /api, with its JSON errors
    app.register_blueprint(health.bp)
    app.register_blueprint(team_views.bp)  # the supervisors' team page and audit log
    app.register_blueprint(invitation.bp)  # the one-time link to set a password
    app.register_blueprint(hours_views.bp)  # the supervisors' business-hours page
    app.register_blueprint(mail_routes.bp)  # an account's email address, a customer's transcript
    operations.init_app(app, serving=live)  # the agents' operations page and its JSON
    app.register_blueprint(reports_page.bp)  # the supervisors' reports page (its JSON is on /api)
    app.register_blueprint(widget_page.bp)  # the website widget: its iframe page and its loader
    app.register_blueprint(widget_api.bp)  # guests, verified identity, what the widget offers
    cli.register(app)
    error_pages.init_app(app)  # HTML error pages in the reader's language; JSON under /api/

    if app.debug and app.config["DEMO_ACCOUNTS"] and app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        demo.bootstrap_development_database(app)
    if live:
        chat.start_writer(app)  # replays what an earlier run left in the spool: once the schema exists
        chat.keep_node()  # with Redis: lease this process's node for message ids, and keep it
    freshness.init_app(app, serving=live)  # stale replies; seeds after the replay
    erase.init_app(app)  # a customer erased on another process is forgotten here too
    stalls.init_app(app, serving=live)  # with STALL_LOG_MS: what holds the event loop
    assignment.init_app(app, serving=live)  # who owns each conversation: the automatic assigner, the offline sweep
    attachments.init_app(app, serving=live)  # the largest request body; the sweep of uploads never sent
    mailer.init_app(app, serving=live)  # email when nobody is online: offline replies, notices, the outbox
    return app


def init_socketio(app):
    """Bind Socket.IO with the async mode that matches how the process was started."""
    from soporte.realtime import fast_json, pinger
    from soporte.realtime.binary_packets import refuse_binary_packets
    from soporte.realtime.origins import socket_origins
    from soporte.realtime.queue import client_manager

    manager = client_manager(app.config["SOCKETIO_MESSAGE_QUEUE"], app.config["SOCKETIO_CHANNEL"])
    socketio.init_app(
        app,
        async_mode=chosen_async_mode(app.config["ASYNC_MODE"]),
        **({"client_manager": manager} if manager else {}),
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=socket_origins(app.config),  # this site (or CORS_ALLOWED_ORIGINS), and WIDGET_ORIGINS
        # room for the largest message, its envelope and a little more; JSON may escape
        # every character (python-socketio does): an emoji is then 12 bytes, "\ud83d\ude00"
        max_http_buffer_size=app.config["MAX_MESSAGE_LENGTH"] * 12 + 4096,
        # one event at a time per socket, so a sender's messages keep their order
        async_handlers=False,
        json=fast_json,  # python-socketio's packet class keeps it: the JSON of every packet in the process
        logger=False,
        engineio_logger=False,
    )
    refuse_binary_packets(socketio.server)
    pinger.install(socketio.server.eio)  # one task for every socket's PINGs, not one per socket
    mode = socketio.server.eio.async_mode
    if mode == "eventlet":  # threading's websockets (the dev server's) are neither mode's
        from soporte.realtime import websocket_guard  # imports eventlet, which only this mode needs
        from soporte.realtime.gunicorn_input import with_shared_input_class

        websocket_guard.install(socketio.server, app.config)
        app.wsgi_app = with_shared_input_class(app.wsgi_app)  # Socket.IO's middleware: outside it
    elif mode == "gevent":
        from soporte.realtime import gevent_websocket_guard  # imports gevent, which only this mode needs

        gevent_websocket_guard.install(socketio.server, app.config)


def serving():
    """Whether this process serves the chat: gunicorn or `flask run`, not `flask db upgrade` and the like.

    A one-off command must not replay the spool, least of all into a database that
    the command is about to migrate. Nor does the reloader's watching process of `flask run
    --debug`, which loads the app but only restarts the one that serves (a storer process
    and background tasks of its own, beside that one's).
    """
    import click
    from flask.helpers import get_debug_flag

    command = click.get_current_context(silent=True)
    if command is None:
        return True
    if command.info_name != "run":
        return False
    reloads = command.params.get("reload")
    if reloads is None:  # flask run's default: the reloader with --debug
        reloads = get_debug_flag()
    return not reloads or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def chosen_async_mode(configured):
    """ASYNC_MODE if its library has patched this process (or it is threading); else what the process runs on.

    An operator who exported SOPORTE_ASYNC_MODE=gevent for gunicorn and then runs `flask run`
    gets threading, which is all the dev server can serve, not a server that never answers.
    """
    detected = detect_async_mode()
    if configured in (None, "threading", detected):
        return configured or detected
    if serving() and detected == "threading":
        logging.getLogger(__name__).warning("ASYNC_MODE is %s, but nothing patched this process for it "
                                            "(flask run?): serving with threading", configured)
        return detected
    return configured


def detect_async_mode():
    """eventlet or gevent, whichever wsgi.py monkey-patched with first; threading for `flask run`."""
    patcher = sys.modules.get("eventlet.patcher")  # imported only if someone patched
    if patcher and patcher.is_monkey_patched("socket"):
        return "eventlet"
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey and gevent_monkey.is_module_patched("socket"):
        return "gevent"
    return "threading"
