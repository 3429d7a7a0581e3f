"""What an idle socket keeps, and what a connect storm costs: one pinger task, no class per request, one TLS context."""
import logging
import os
import threading
import time
import warnings

import engineio
import pytest
import sqlalchemy as sa
from engineio import packet
from engineio.socket import Socket

from soporte import mysql_tls
from soporte.realtime import pinger
from soporte.realtime.gunicorn_input import GunicornInput, with_shared_input_class

PING_INTERVAL = 0.3


def pings(sock):
    """The PING packets queued for a socket's writer (taken off its queue)."""
    found = []
    while not sock.queue.empty():
        pkt = sock.queue.get()
        if pkt.packet_type == packet.PING:
            found.append(pkt)
    return found


@pytest.fixture
def eio():
    """A real engineio server (threading mode) whose sockets are pinged by soporte's Pinger."""
    server = engineio.Server(async_mode="threading", ping_interval=PING_INTERVAL, ping_timeout=5)
    pinger.install(server)
    return server


def test_one_task_pings_every_socket_after_the_interval(eio):
    """Many sockets: one thread more, not one each; each PING comes ping_interval after it was scheduled."""
    threads = threading.active_count()
    sockets = [Socket(eio, f"s{i}") for i in range(20)]
    start = time.monotonic()
    for sock in sockets:
        sock.schedule_ping()
    assert threading.active_count() <= threads + 1
    time.sleep(PING_INTERVAL / 2)
    assert not any(pings(sock) for sock in sockets)  # not before the interval
    time.sleep(PING_INTERVAL)
    assert [len(pings(sock)) for sock in sockets] == [1] * 20
    assert all(sock.last_ping and sock.last_ping >= time.time() - PING_INTERVAL for sock in sockets)
    assert time.monotonic() - start >= PING_INTERVAL


def test_the_next_ping_waits_for_the_pong(eio):
    """Like engineio: no second PING until the client's PONG; then one more after the interval."""
    sock = Socket(eio, "s")
    sock.schedule_ping()
    time.sleep(PING_INTERVAL * 2.5)
    assert len(pings(sock)) == 1
    sock.receive(packet.Packet(packet.PONG))
    time.sleep(PING_INTERVAL * 1.5)
    assert len(pings(sock)) == 1


def test_a_closed_socket_gets_no_ping(eio):
    """A socket closed while it waits is skipped, and the sockets after it are still pinged."""
    gone, live = Socket(eio, "gone"), Socket(eio, "live")
    gone.schedule_ping()
    live.schedule_ping()
    gone.closed = True
    time.sleep(PING_INTERVAL * 1.5)
    assert pings(gone) == [] and len(pings(live)) == 1


def test_engineio_middleware_keeps_the_shared_input():
    """Under gunicorn, environ["eventlet.input"] is one class's instance, with the socket, not a class per request."""
    seen = {}

    def inner(environ, start_response):
        """The app behind the middleware: note the environ it was given."""
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    sock = object()
    app = with_shared_input_class(engineio.WSGIApp(engineio.Server(async_mode="threading"), inner))
    app({"PATH_INFO": "/", "REQUEST_METHOD": "GET", "gunicorn.socket": sock}, lambda *a: None)
    assert type(seen["eventlet.input"]) is GunicornInput
    assert seen["eventlet.input"].get_socket() is sock


MARIADB = os.environ.get("SOPORTE_TEST_DATABASE_URL", "")


@pytest.mark.skipif(not MARIADB.startswith("mysql"), reason="PyMySQL's TLS: MariaDB only")
def test_pymysql_connections_share_one_preferred_tls_context():
    """Two new connections: the same SSLContext, TLS still preferred (not required), and they work."""
    mysql_tls.install()
    engine = sa.create_engine(MARIADB, poolclass=sa.pool.NullPool)
    try:
        first, second = engine.raw_connection(), engine.raw_connection()
        a, b = first.driver_connection, second.driver_connection
        assert a.ctx is b.ctx
        assert a.ssl and not a._ssl_required  # PyMySQL's PREFERRED mode: TLS if the server offers it
        cursor = b.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
        first.close()
        second.close()
    finally:
        engine.dispose()


def test_per_socket_objects_have_no_dict():
    """The objects every socket keeps (its session, its buckets, its metered reader) carry no __dict__."""
    from soporte.realtime.sessions import SocketSession
    from soporte.realtime.throttle import TokenBucket

    with warnings.catch_warnings():  # importing eventlet warns that it is deprecated; production imports it anyway
        warnings.simplefilter("ignore")
        from soporte.realtime.websocket_guard import FrameGuard, MeteredSocket
    bucket = TokenBucket(1, 1)
    session = SocketSession(sid="s", user="ana", rol="user", jti="j", exp=0.0, nombre="Ana",
                            bucket=bucket, refusals=bucket)
    for obj in (bucket, session, MeteredSocket(None, bucket)):
        assert not hasattr(obj, "__dict__"), type(obj).__name__
    assert "__dict__" not in dir(FrameGuard)


def test_the_handshake_runs_without_a_flask_request(app, cookie_client):
    """connect reads the handshake's environ: no Flask request context (its URL match and session) per socket."""
    from flask import has_request_context

    from soporte.extensions import socketio

    seen = []
    presence = app.extensions["soporte.presence"]
    socket_on = presence.socket_on
    presence.socket_on = lambda usuario: (seen.append(has_request_context()), socket_on(usuario))
    sio = socketio.test_client(app, flask_test_client=cookie_client("ana"))
    assert sio.is_connected() and seen == [False]
    sio.disconnect()


def test_a_failing_handshake_refuses_the_socket_and_is_logged(app, cookie_client, caplog):
    """An unexpected error in connect (here presence breaks) refuses the socket; the log says why."""
    from soporte.extensions import socketio

    def broken(usuario):
        """Presence failing as a socket connects."""
        raise RuntimeError("presence is down")

    app.extensions["soporte.presence"].socket_on = broken
    with caplog.at_level(logging.ERROR, logger="soporte.realtime.binder"):
        sio = socketio.test_client(app, flask_test_client=cookie_client("ana"))
    assert not sio.is_connected()
    assert any("socket handler failed: connect" in r.getMessage() for r in caplog.records)


def test_lookups_at_once_share_one_query(app):
    """Twenty accounts asked for at once (a storm of connects): their roles come in a few queries, not twenty."""
    from soporte.accounts.directory import Directory
    from soporte.extensions import db

    directory = Directory()
    names = ["ana", "admin", "ana "] + [f"nadie{i}" for i in range(17)]  # "ana ": only the exact name counts
    selects, answers = [], {}
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        """Note each query of the accounts' table."""
        if "FROM usuarios" in statement:
            selects.append(statement)

    start = threading.Barrier(len(names))

    def ask(name):
        """One connect's lookup, in its own app context."""
        with app.app_context():
            start.wait()
            answers[name] = directory.role_of(name)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        threads = [threading.Thread(target=ask, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert answers == {"ana": "user", "admin": "admin", "ana ": None, **{f"nadie{i}": None for i in range(17)}}
    assert len(selects) <= len(names) // 2, len(selects)
