"""`flask --app soporte run --debug`, the README's development server: websockets end quietly.

Werkzeug's server in threading mode, as a developer runs it, with the debugger on. A
closed websocket, by the client or by a logout, must leave no traceback and no error
status in the server's log.
"""
import re
import sys
import time

import pytest
import socketio as socketio_client
import websocket

from conftest import OWN_PAGE, LiveServer

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
