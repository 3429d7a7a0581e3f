"""The storer in an OS process of its own, beside a real server (gunicorn + eventlet, STORER_PROCESS).

Stopped (SIGSTOP), killed (SIGKILL) or ended with its server, it holds up no message,
loses none and stores none twice; meanwhile history has the messages from the relay's memory.
"""
import os
import signal
import time

import pytest
import requests

from conftest import LiveServer, checker_app
from soporte.extensions import db
from soporte.models import Mensaje
from test_e2e import Peer


@pytest.fixture
def server_app(tmp_path):
    with checker_app(tmp_path) as app:
        yield app


@pytest.fixture
def server(server_app):
    live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"])
    live.start()
    yield live
    live.stop()


@pytest.fixture
def peers():
    made = []

    def connect(server, http):
        made.append(Peer().connect(server, token=http.cookies["token"]))
        return made[-1]

    yield connect
    for peer in made:
        peer.client.disconnect()


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except FileNotFoundError:
        return []


def storers(server):
    """The storer processes of the server's workers."""
    found = []
    for worker in children(server.process.pid):
        for child in children(worker):
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"soporte.relay.storer_process" in f.read():
                    found.append(child)
    return found


def eventually(check, timeout=15.0):
    """check()'s first true answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def stored_ids(app):
    with app.app_context():
        ids = list(db.session.scalars(db.select(Mensaje.id).order_by(Mensaje.id)))
        db.session.remove()
    return ids


def backlog(server):
    return requests.get(server.url + "/readyz", timeout=5).json()["writer"]["backlog"]


def test_messages_are_stored_by_a_process_of_its_own(server_app, server, peers):
    [storer] = eventually(lambda: storers(server))
    ana = peers(server, server.login("ana"))
    ids = [ana.send("admin", f"hola {i}")["id"] for i in range(5)]
    assert eventually(lambda: stored_ids(server_app) == ids)
    assert storers(server) == [storer]
    assert eventually(lambda: backlog(server) == 0)


def test_a_stopped_storer_holds_up_nothing_and_history_still_has_the_messages(server_app, server, peers):
    [storer] = eventually(lambda: storers(server))
    ana_http, admin_http = server.login("ana"), server.login("admin")
    admin, ana = peers(server, admin_http), peers(server, ana_http)
    os.kill(storer, signal.SIGSTOP)
    try:
        ids = []
        for i in range(3):
            ack = ana.send("admin", f"sin guardar {i}")
            assert ack["ok"] is True
            ids.append(ack["id"])
            event, payload = admin.receive()
            assert (event, payload["id"]) == ("mensaje_recibido", ack["id"])
        history = ana_http.get(server.url + "/api/mensajes/mios").json()
        assert [m["id"] for m in history] == ids
        assert stored_ids(server_app) == []
        assert backlog(server) == 3
    finally:
        os.kill(storer, signal.SIGCONT)
    assert eventually(lambda: stored_ids(server_app) == ids)
    assert eventually(lambda: backlog(server) == 0)


def test_a_killed_storer_is_replaced_and_nothing_is_lost_or_stored_twice(server_app, server, peers):
    [first] = eventually(lambda: storers(server))
    ana = peers(server, server.login("ana"))
    os.kill(first, signal.SIGSTOP)
    before = [ana.send("admin", f"antes {i}")["id"] for i in range(3)]
    time.sleep(0.3)  # sealed, and waiting for the stopped storer
    os.kill(first, signal.SIGKILL)
    [second] = eventually(lambda: [pid for pid in storers(server) if pid != first])
    after = [ana.send("admin", f"después {i}")["id"] for i in range(2)]
    assert eventually(lambda: stored_ids(server_app) == before + after)
    assert eventually(lambda: backlog(server) == 0)
    assert "storer process ended" in server.log()


def test_a_server_that_ends_stores_everything_and_its_storer_ends_too(server_app, server, peers):
    [storer] = eventually(lambda: storers(server))
    ana = peers(server, server.login("ana"))
    ids = [ana.send("admin", f"al cerrar {i}")["id"] for i in range(20)]
    server.stop()
    assert stored_ids(server_app) == ids
    assert eventually(lambda: not os.path.exists(f"/proc/{storer}") or
                      open(f"/proc/{storer}/stat").read().split(")")[-1].split()[0] == "Z", timeout=10)
