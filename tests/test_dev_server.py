"""`flask --app soporte run --debug`, the README's development server: websockets end quietly.

Werkzeug's server in threading mode, as a developer runs it, with the debugger on. A
closed websocket, by the client or by a logout, must leave no traceback and no error
status in the server's log.
"""
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest
import socketio as socketio_client
import websocket

from conftest import OWN_PAGE, LiveServer
from soporte.models import Mensaje

pytestmark = pytest.mark.slow  # no database of its own to test: run once (the SQLite pass)


class DevServer(LiveServer):
    """soporte under `flask run --debug` (no reloader: it only restarts the same server)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.env["SOPORTE_ASYNC_MODE"]  # the README's command, in a shell without it (its gunicorn's)

    def command(self):
        """The README's command, on this server's port."""
        return [sys.executable, "-m", "flask", "--app", "soporte", "run", "--debug", "--no-reload",
                "--port", str(self.port)]


@pytest.fixture
def dev_server(app, tmp_path):
    """A started DevServer on the test database (which `app` has filled with accounts)."""
    server = DevServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    server.start()
    yield server
    server.stop()


class ReloadingDevServer(DevServer):
    """The README's command exactly: `flask run --debug`, whose reloader starts the server as its child."""

    def command(self):
        """The README's command, on this server's port."""
        return [sys.executable, "-m", "flask", "--app", "soporte", "run", "--debug", "--port", str(self.port)]

    def stop(self, sig=signal.SIGTERM):
        """Stop the reloader, then what it started: a signal to the reloader alone leaves its server running."""
        started = descendants(self.process.pid)
        super().stop(sig)
        for pid in started:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)


def descendants(pid):
    """Every process under `pid`, children first."""
    children = []
    for children_file in Path(f"/proc/{pid}/task").glob("*/children"):  # a process started from a thread is its child
        try:
            children += [int(c) for c in children_file.read_text().split()]
        except FileNotFoundError:  # the thread (or the process) ended meanwhile
            continue
    return children + [d for child in children for d in descendants(child)]


def storers_of(spool_dir):
    """The storer processes running on `spool_dir`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # ended meanwhile
            continue
        if b"soporte.relay.storer_process" in args and spool_dir.encode() in args:
            found.append(int(cmdline.parent.name))
    return found


def test_the_readme_command_runs_one_storer_and_stores(app, tmp_path):
    """Under the reloader only the server it starts serves: one storer process (its own), not a second one
    for the watching process, which loads the app but never serves; and a message is stored."""
    server = ReloadingDevServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    server.start()
    try:
        time.sleep(1)  # each process that would start a storer has loaded the app by now
        storers = storers_of(server.env["SOPORTE_SPOOL_DIR"])
        assert len(storers) == 1, storers
        assert storers[0] in descendants(server.process.pid)
        parent = int(Path(f"/proc/{storers[0]}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert parent != server.process.pid  # the served app's, not the watching reloader's
        page = socketio_client.SimpleClient()
        page.connect(server.url, headers={"Cookie": f"token={server.login('ana').cookies['token']}"})
        ack = page.call("mensaje_privado", {"para": "admin", "mensaje": "hola", "cid": "dev-1"})
        page.disconnect()
        assert ack["ok"] is True
    finally:
        server.stop()
    with app.app_context():
        assert [m.mensaje for m in Mensaje.query.all()] == ["hola"]


def raw_websocket(server, http):
    """An Engine.IO websocket with a connected Socket.IO session, spoken by hand."""
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
        cookie=f"token={http.cookies['token']}", timeout=5)
    assert ws.recv().startswith("0")  # Engine.IO open
    ws.send("40")  # Socket.IO connect to "/"
    assert ws.recv().startswith("40")
    return ws


WEBSOCKET_REQUEST = re.compile(r'GET /socket\.io/\?[^"]*transport=websocket[^"]*" (\d{3})')


def websocket_statuses(server, count, timeout=10):
    """The statuses Werkzeug logged for websocket requests, once it has logged `count` of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = WEBSOCKET_REQUEST.findall(server.log())
        if len(statuses) >= count:
            return statuses
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} websocket requests logged: " + server.log())


def test_closing_websockets_and_logging_out_leave_a_clean_log(dev_server):
    """A websocket closed by its client and sockets closed by a logout: no traceback, no 500, no 400."""
    ana = dev_server.login("ana")
    closed_by_client = raw_websocket(dev_server, ana)
    closed_by_client.close()  # the close handshake, as a browser tab that goes away

    page = socketio_client.SimpleClient()  # polling, then the upgrade to websocket, as the page does
    page.connect(dev_server.url, headers={"Cookie": f"token={ana.cookies['token']}"})
    raw = raw_websocket(dev_server, ana)
    assert ana.get(dev_server.url + "/logout", headers=OWN_PAGE, allow_redirects=False).status_code == 302
    assert page.receive(timeout=5) == ["sesion_terminada", {"motivo": "logout"}]
    assert raw.recv() == '42["sesion_terminada",{"motivo":"logout"}]'
    assert raw.recv() == "41"  # the server's disconnect, after which a client closes its websocket
    raw.close()
    page.disconnect()

    # every websocket's request over (Werkzeug logs a request when it ends)
    assert set(websocket_statuses(dev_server, 3)) == {"101"}, dev_server.log()
    log = dev_server.log()
    assert "Traceback" not in log and "ConnectionError" not in log, log
    assert "Bad HTTP/0.9" not in log and "Bad request" not in log, log


def test_an_async_mode_for_gunicorn_in_the_shell_still_serves_flask_run(app, tmp_path):
    """SOPORTE_ASYNC_MODE=gevent left exported from a production shell: flask run serves with threading
    (logging why) instead of a gevent server on an unpatched process that never answers."""
    server = DevServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    server.env["SOPORTE_ASYNC_MODE"] = "gevent"
    server.start()
    try:
        client = socketio_client.SimpleClient()
        http = server.login("ana")
        client.connect(server.url, headers={"Cookie": f"token={http.cookies['token']}"})
        ack = client.call("mensaje_privado", {"para": "admin", "mensaje": "hola"}, timeout=10)
        assert ack["ok"] is True
        client.disconnect()
    finally:
        server.stop()
    assert "ASYNC_MODE is gevent, but nothing patched this process for it" in server.log()
