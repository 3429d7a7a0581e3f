"""Fixtures: an app on SQLite or MariaDB, logged-in clients, sockets, and a real server process.

The database comes from SOPORTE_TEST_DATABASE_URL (e.g. mysql+pymysql://root@127.0.0.1/soporte_test);
without it, a SQLite file in a temporary folder.
"""
import contextlib
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from soporte import create_app
from soporte.extensions import db, socketio
from soporte.models import Usuario
from soporte.search_index import drop_sqlite_fts

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "contraseña-de-prueba"
TEST_SECRETS = {"SECRET_KEY": "s" * 40, "JWT_SECRET": "j" * 40}
# generous rate limits, so tests that send or log in fast measure what they mean to;
# tests/test_security.py sets the real ones where it tests the limits themselves
TEST_LIMITS = {"MESSAGE_RATE": 1000.0, "MESSAGE_BURST": 1000, "REFUSAL_RATE": 1000.0, "REFUSAL_BURST": 1000,
               "LOGIN_RATE_LIMIT": "1000 per minute", "REGISTRATION_RATE_LIMIT": "1000 per minute"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
# what a browser sends on the page's own Salir link; a GET /logout without it only gets a confirm page
OWN_PAGE = {"Sec-Fetch-Site": "same-origin"}


BROWSER_TESTS = ROOT / "tests" / "browser"
# the async mode of the real server processes (LiveServer): eventlet, or gevent for the
# second pass of the live tests that scripts/test.sh makes
ASYNC_MODE = os.environ.get("SOPORTE_TEST_ASYNC_MODE", "eventlet")


def pytest_collection_modifyitems(config, items):
    """Run the slow tests once: on the MariaDB pass, leave out those marked slow and the browser tests.

    They test what the database does not change (transport, Redis faults, the dev server, the
    README's commands, the pages); the SQLite pass ran them. SOPORTE_TEST_ALL=1 keeps them.
    """
    if not os.environ.get("SOPORTE_TEST_DATABASE_URL", "").startswith("mysql") or os.environ.get("SOPORTE_TEST_ALL"):
        return
    once = [item for item in items
            if item.get_closest_marker("slow") or BROWSER_TESTS in Path(str(item.path)).parents]
    if once:
        config.hook.pytest_deselected(items=once)
        kept = set(map(id, items)) - set(map(id, once))
        items[:] = [item for item in items if id(item) in kept]


@pytest.fixture(scope="session", autouse=True)
def mariadb_database():
    """Create the MariaDB test database named by SOPORTE_TEST_DATABASE_URL if it is missing."""
    url = os.environ.get("SOPORTE_TEST_DATABASE_URL", "")
    if url.startswith("mysql"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        target = make_url(url)
        engine = create_engine(target.set(database=""))
        with engine.begin() as conn:
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS `{target.database}` "
                              "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        engine.dispose()


def database_url(tmp_path):
    """The test database: MariaDB when configured, else a fresh SQLite file."""
    return os.environ.get("SOPORTE_TEST_DATABASE_URL") or f"sqlite:///{tmp_path}/soporte.sqlite"


@pytest.fixture
def app(tmp_path):
    """An app with an empty schema and the accounts admin, agente2 (agents), ana, bob (customers)."""
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "SPOOL_DIR": str(tmp_path / "spool"),
        **TEST_SECRETS,
        **TEST_LIMITS,
    }, instance_path=str(tmp_path / "instance"))  # not the developer's instance/config.py
    with app.app_context():
        empty_database(app.config["SQLALCHEMY_DATABASE_URI"])
        make_users(("admin", "admin"), ("agente2", "admin"), ("ana", "user"), ("bob", "user"))
    yield app
    app.extensions["soporte"].writer.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_rebuilt = set()  # database URLs whose schema this run has already rebuilt


def empty_database(url):
    """The current schema with no rows: rebuilt once per run, then emptied (DDL is slow on MariaDB).

    The first time, the migrations build the schema, as `flask db upgrade` does in
    production; after that, create_all brings back any table a test dropped. A test
    that alters a table in any other way must undo it.
    """
    if url not in _rebuilt:
        drop_schema()
        upgrade()
        _rebuilt.add(url)
    db.create_all()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def drop_schema():
    """Drop every table, the migrations' own alembic_version included."""
    db.session.remove()  # an open read would hold MariaDB's metadata lock and block the drop
    if db.engine.dialect.name == "sqlite":  # the FTS5 table first: dropping it drops its shadow tables
        with db.engine.begin() as conn:
            drop_sqlite_fts(conn)
    tables = sa.MetaData()
    tables.reflect(db.engine)
    tables.drop_all(db.engine)


@functools.cache
def password_hash():
    """The scrypt hash of PASSWORD, computed once: scrypt is slow on purpose."""
    usuario = Usuario()
    usuario.set_password(PASSWORD)
    return usuario.password_hash


def make_users(*accounts):
    """Create (username, rol) accounts with the test password."""
    for username, rol in accounts:
        usuario = Usuario(usuario=username, nombre=username.capitalize(), rol=rol)
        usuario.password_hash = password_hash()
        db.session.add(usuario)
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, username, password=PASSWORD):
    """Log a Flask test client in through the real form (with its CSRF token)."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    return client.post("/login", data={"user": username, "pass": password, "csrf_token": token})


@pytest.fixture
def as_user(app):
    """Make a test client logged in as a given account."""

    def make(username):
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return make


@pytest.fixture
def sock(app, as_user):
    """Make a connected Socket.IO test client for an account (carrying its login cookie)."""
    clients = []

    def make(username, client=None):
        sio = socketio.test_client(app, flask_test_client=client or as_user(username))
        assert sio.is_connected()
        clients.append(sio)
        return sio

    yield make
    for sio in clients:
        if sio.is_connected():
            sio.disconnect()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RUNNING_SERVERS = set()  # LiveServers started in this test or still running: their logs go with a failure's report
LOG_LINES_ON_FAILURE = 150


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that failed while real servers ran carries the end of each one's log in its report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in sorted(RUNNING_SERVERS, key=lambda s: s.port):
            lines = server.log().splitlines()[-LOG_LINES_ON_FAILURE:]
            report.sections.append((f"server log {server.url} (last {len(lines)} lines)", "\n".join(lines)))
    if report.when == "teardown":  # a server this test stopped or killed is not the next test's
        RUNNING_SERVERS.difference_update({s for s in RUNNING_SERVERS if s.process.poll() is not None})


class LiveServer:
    """soporte in a real process: gunicorn, a worker of ASYNC_MODE's class, real websockets."""

    def __init__(self, tmp_path, db_url, extra_env=None):
        self.extra_env = extra_env or {}  # the SOPORTE_* settings it was given, to start its like
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "SOPORTE_SECRET_KEY": TEST_SECRETS["SECRET_KEY"],
            "SOPORTE_JWT_SECRET": TEST_SECRETS["JWT_SECRET"],
            "SOPORTE_SQLALCHEMY_DATABASE_URI": db_url,
            "SOPORTE_SPOOL_DIR": str(tmp_path / f"spool-{self.port}"),
            # one folder for the test's servers, as hosts share a volume (never the developer's instance/)
            "SOPORTE_ATTACHMENTS_DIR": str(tmp_path / "adjuntos"),
            "SOPORTE_ASYNC_MODE": ASYNC_MODE,
            **{f"SOPORTE_{key}": str(value) for key, value in TEST_LIMITS.items()},
            **(extra_env or {}),
        }
        self.process = None

    def start(self, timeout=20):
        """Start the server and wait until it answers HTTP."""
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        RUNNING_SERVERS.add(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                requests.get(self.url + "/login", timeout=1)
                return self
            except requests.RequestException:  # not listening or still booting
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log()}")

    def command(self):
        """The server's command line (a subclass may start another server)."""
        return [sys.executable, "-m", "gunicorn", "-k", ASYNC_MODE, "-w", "1",
                "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "wsgi:app"]

    def wait_ready(self, timeout=20):
        """Wait until /readyz answers 200 (database up, spool replayed, a node leased when Redis is shared)."""
        deadline = time.monotonic() + timeout
        while True:
            response = requests.get(self.url + "/readyz", timeout=5)
            if response.status_code == 200:
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready: {response.text} {self.log()}")
            time.sleep(0.1)

    def stop(self, sig=signal.SIGTERM):
        """Stop the server and wait for it to exit."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def login(self, username, password=PASSWORD):
        """A requests session logged in through the real form."""
        http = requests.Session()
        page = http.get(self.url + "/login").text
        token = CSRF_FIELD.search(page).group(1)
        response = http.post(self.url + "/login", allow_redirects=False,
                             data={"user": username, "pass": password, "csrf_token": token})
        assert response.status_code == 302, response.text
        return http


@pytest.fixture
def redis_servers(app, tmp_path):
    """Start soporte processes that are one chat on Redis: redis_servers(count, redis_db, **settings).

    The processes of one test share a channel of their own; all are stopped at the end.
    """
    started = []
    channel = f"soporte-test-{uuid.uuid4().hex}"

    def start(count, redis_db, **settings):
        env = {"SOPORTE_SOCKETIO_MESSAGE_QUEUE": redis_url(redis_db), "SOPORTE_SOCKETIO_CHANNEL": channel,
               **{f"SOPORTE_{key}": str(value) for key, value in settings.items()}}
        made = [LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], env) for _ in range(count)]
        for server in made:
            started.append(server)
            server.start().wait_ready()  # each has leased its node, so its first message is accepted
        return made

    yield start
    for server in started:
        server.stop()


PROXIED_REDIS_DB = 5  # the Redis database of the servers behind the fault proxy


@pytest.fixture
def redis_proxy():
    """The fault proxy (tests/faultproxy.py) in front of the test Redis; skips without Redis."""
    from faultproxy import FaultProxy

    redis_url(PROXIED_REDIS_DB)
    proxy = FaultProxy(("127.0.0.1", 6379)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_server(app, tmp_path, redis_proxy):
    """Start a LiveServer whose Redis (queue, limits, presence, node lease) goes through redis_proxy:
    proxied_server(**settings). Started, not necessarily ready: a cut Redis leaves it without a node."""
    started = []

    def start(**settings):
        env = {"SOPORTE_SOCKETIO_MESSAGE_QUEUE": f"redis://127.0.0.1:{redis_proxy.port}/{PROXIED_REDIS_DB}",
               "SOPORTE_SOCKETIO_CHANNEL": f"outage-{uuid.uuid4().hex}",
               **{f"SOPORTE_{key}": str(value) for key, value in settings.items()}}
        server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def live_socket(server, username):
    """A python-socketio client on a real websocket, logged in over HTTP on that server (in .http)."""
    import socketio as socketio_client

    http = server.login(username)
    client = socketio_client.SimpleClient()
    client.connect(server.url, transports=["websocket"], headers={"Cookie": f"token={http.cookies['token']}"})
    client.http = http
    return client


def drain(client, timeout=0.5):
    """Every event a SimpleClient receives until it has been quiet for `timeout` seconds."""
    import socketio as socketio_client

    events = []
    while True:
        try:
            events.append(client.receive(timeout=timeout))
        except socketio_client.exceptions.TimeoutError:
            return events


@pytest.fixture
def live_server(app, tmp_path):
    """A started LiveServer on the test database (which `app` has filled with accounts)."""
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    server.start()
    yield server
    server.stop()


# --- helpers shared by the suite -------------------------------------------------

def make_token(secret=TEST_SECRETS["JWT_SECRET"], algorithm="HS256", expires_in=3600, **claims):
    """A JWT made with pyjwt, independently of soporte.tokens (defaults: a valid token for ana)."""
    import jwt

    now = int(time.time())
    payload = {"user": "ana", "name": "Ana", "rol": "user", "iat": now, "exp": now + expires_in,
               "jti": os.urandom(8).hex()}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}  # None: leave the claim out
    return jwt.encode(payload, secret, algorithm=algorithm)


@pytest.fixture
def token_for(app):
    """The login token soporte itself issues for an account (as a successful login would)."""
    from soporte.accounts.tokens import issue_token

    def make(username):
        with app.app_context():
            usuario = db.session.execute(db.select(Usuario).filter_by(usuario=username)).scalar_one()
            return issue_token(usuario)

    return make


@pytest.fixture
def cookie_client(app, token_for):
    """Make a test client holding an account's token cookie, without the (slow) password check."""

    def make(username):
        client = app.test_client()
        client.set_cookie("token", token_for(username))
        return client

    return make


@pytest.fixture
def connect(sock, cookie_client):
    """Make a connected Socket.IO test client for an account, quickly (see cookie_client)."""

    def make(username):
        return sock(username, client=cookie_client(username))

    return make


def stored_messages(app, timeout=10.0):
    """Wait until the writer has stored everything, then all rows of `mensajes`, oldest first."""
    from soporte.models import Mensaje

    assert app.extensions["soporte"].writer.flush(timeout), "the writer did not store everything in time"
    with app.app_context():
        rows = db.session.scalars(db.select(Mensaje).order_by(Mensaje.id)).all()
        found = [{c: getattr(r, c) for c in ("id", "de_usuario", "para_usuario", "conversacion",
                                             "mensaje", "fecha", "cid")} for r in rows]
        db.session.remove()
    return found


@contextlib.contextmanager
def checker_app(tmp):
    """An app on the test database (emptied, with the usual accounts) for a module's live server.

    The server runs in its own process; this app only prepares and reads the database.
    """
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(tmp),
                      "SPOOL_DIR": str(tmp / "spool-checker"), **TEST_SECRETS},
                     instance_path=str(tmp / "instance"))
    with app.app_context():
        empty_database(app.config["SQLALCHEMY_DATABASE_URI"])
        make_users(("admin", "admin"), ("agente2", "admin"), ("ana", "user"), ("bob", "user"))
    app.tmp = tmp
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def customer(server_app):
    """A new customer for this test, in the module's checker app (its live server is shared)."""
    name = "cli" + uuid.uuid4().hex[:8]
    with server_app.app_context():
        make_users((name, "user"))
    return name


def account(app, username):
    """The stored account, or None."""
    with app.app_context():
        usuario = db.session.execute(db.select(Usuario).filter_by(usuario=username)).scalar_one_or_none()
        if usuario is not None:
            db.session.expunge(usuario)
        return usuario


def redis_url(db=0):
    """A Redis URL on this machine; the test fails in CI (which starts Redis) and skips elsewhere without it."""
    import redis

    url = f"redis://127.0.0.1:6379/{db}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail("Redis must run at 127.0.0.1:6379 (.ci/run starts it)")
        pytest.skip("no Redis at 127.0.0.1:6379")
    return url
