"""Against a real server process: gunicorn with the eventlet worker, real websockets, real clients.

What Flask-SocketIO's test client skips: the handshake's cookies and refusal messages on the
wire, the origin check, frame sizes, and the whole path HTTP login -> websocket -> database.
One server serves the module (starting one takes seconds); every test uses its own names.
"""
import queue
import signal
import time

import pytest
import requests
import socketio

from conftest import OWN_PAGE, LiveServer, checker_app, make_token
from soporte.extensions import db
from soporte.models import Mensaje

QUIET = 0.3  # how long "nothing else arrives" is watched for


@pytest.fixture(scope="module")
def server_app(tmp_path_factory):
    """The test database with the usual accounts, for the server and for checking what it stored."""
    with checker_app(tmp_path_factory.mktemp("live")) as app:
        yield app


@pytest.fixture(scope="module")
def server(server_app):
    live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"])
    live.start()
    yield live
    live.stop(signal.SIGQUIT)  # quick: what the tests needed stored was checked already


class Peer:
    """A python-socketio client that records every event and the refusal message, if any."""

    def __init__(self):
        self.client = socketio.Client(reconnection=False)
        self.received = queue.Queue()
        self.refusals = []
        self.client.on("*", lambda event, *args: self.received.put((event, args[0] if args else None)))
        self.client.on("connect_error", lambda data=None: self.refusals.append(data))

    def connect(self, server, token=None, cookie=None, auth=None, headers=None, transport="websocket"):
        headers = dict(headers or {})
        if token is not None:
            cookie = f"token={token}"
        if cookie is not None:
            headers["Cookie"] = cookie
        self.client.connect(server.url, headers=headers, auth=auth, transports=[transport], wait_timeout=10)
        return self

    def send(self, para, mensaje):
        return self.client.call("mensaje_privado", {"para": para, "mensaje": mensaje}, timeout=10)

    def receive(self, timeout=5.0):
        return self.received.get(timeout=timeout)

    def nothing_more(self):
        try:
            extra = self.received.get(timeout=QUIET)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected event {extra}")

    def close(self):
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def peers():
    made = []

    def make():
        made.append(Peer())
        return made[-1]

    yield make
    for peer in made:
        peer.close()


def refusal(server, peer, **how):
    """Try to connect; return the connect_error message (the connection must fail)."""
    with pytest.raises(socketio.exceptions.ConnectionError):
        peer.connect(server, **how)
    assert not peer.client.connected
    assert len(peer.refusals) == 1, peer.refusals
    data = peer.refusals[0]
    return data["message"] if isinstance(data, dict) else data


# --- the handshake -------------------------------------------------------------------

WRONG_SECRET = "otro-secreto-de-al-menos-32-bytes!!"


@pytest.mark.parametrize("how, message", [
    ({}, "No autenticado"),
    ({"cookie": "otra=1"}, "Token no proporcionado"),
    ({"cookie": "otra=1; token="}, "Token no proporcionado"),
    ({"token": "basura"}, "Token inválido"),
    ({"token": make_token(secret=WRONG_SECRET)}, "Token inválido"),
    ({"token": make_token(expires_in=-30)}, "Token inválido"),
    ({"auth": {"token": "basura"}}, "Token inválido"),
    ({"auth": {"token": make_token(expires_in=-30)}}, "Token inválido"),
    ({"auth": {"token": make_token(secret=WRONG_SECRET)}}, "Token inválido"),
], ids=["no cookie", "cookie without token", "empty token", "garbage", "bad signature", "expired",
        "auth garbage", "auth expired", "auth bad signature"])
def test_refusal_messages(server, peers, how, message):
    assert refusal(server, peers(), **how) == message


def test_auth_token_for_scripts_and_cookie_precedence(server, peers):
    """A login's JWT works as the auth payload; a cookie, where present, is what counts."""
    token = server.login("ana").cookies["token"]
    peer = peers().connect(server, auth={"token": token})
    assert peer.client.connected and peer.client.transport() == "websocket"
    assert peers().connect(server, cookie="otra=1", auth={"token": token}).client.connected
    assert refusal(server, peers(), token="basura", auth={"token": token}) == "Token inválido"
    assert peers().connect(server, token=token, auth={"token": "basura"}).client.connected


def test_forged_agent_token_is_refused(server, peers):
    """The secret is the server's: a token signed with anything else never connects."""
    forged = make_token(secret=WRONG_SECRET, user="admin", rol="admin")
    assert refusal(server, peers(), token=forged) == "Token inválido"


def test_cross_origin_handshake_is_refused(server, peers):
    """Same origin only by default: a page elsewhere cannot open a socket with the user's cookie.

    Over long-polling, whose requests carry exactly the Origin given (the websocket client
    adds its own, same-origin one, which every other test here exercises).
    """
    token = server.login("ana").cookies["token"]
    for origin in ("http://evil.example", "http://127.0.0.1", "null"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            peers().connect(server, token=token, headers={"Origin": origin}, transport="polling")
    same = peers().connect(server, token=token, headers={"Origin": server.url}, transport="polling")
    assert same.client.connected


# --- end to end ----------------------------------------------------------------------------

def stored(server_app, ids, timeout=15.0):
    """The rows with these ids once the server's writer has stored them all."""
    deadline = time.monotonic() + timeout
    while True:
        with server_app.app_context():
            rows = db.session.scalars(db.select(Mensaje).where(Mensaje.id.in_(ids)).order_by(Mensaje.id)).all()
            db.session.remove()
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_login_chat_both_ways_and_storage(server, server_app, peers):
    """HTTP login, the cookie on the websocket handshake, a conversation both ways, rows in the DB."""
    sessions = {name: server.login(name) for name in ("ana", "admin", "agente2")}
    for http in sessions.values():
        assert http.get(server.url + "/soporte").status_code == 200
    ana, admin, agente2 = (peers().connect(server, token=sessions[n].cookies["token"])
                           for n in ("ana", "admin", "agente2"))
    for peer in (ana, admin, agente2):
        assert peer.client.transport() == "websocket"

    asked = ana.send("admin", "hola, ¿me ayudan? 😀")
    assert asked["ok"] is True
    question = {"de": "ana", "nombre": "Ana", "para": "admin", "mensaje": "hola, ¿me ayudan? 😀",
                "id": asked["id"], "fecha": asked["fecha"]}
    assert admin.receive() == ("mensaje_recibido", question)
    assert agente2.receive() == ("mensaje_recibido", question)

    answered = admin.send("ana", "claro que sí")
    assert answered["ok"] is True and answered["id"] > asked["id"]
    answer = {"de": "admin", "nombre": "Admin", "para": "ana", "mensaje": "claro que sí",
              "id": answered["id"], "fecha": answered["fecha"]}
    assert ana.receive() == ("mensaje_recibido", answer)
    assert agente2.receive() == ("mensaje_enviado", answer)

    refused = ana.send("bob", "psst")
    assert refused["ok"] is False and refused["error"]
    for peer in (ana, admin, agente2):
        assert peer.nothing_more()

    rows = stored(server_app, [asked["id"], answered["id"]])
    assert [(r.id, r.de_usuario, r.para_usuario, r.conversacion, r.mensaje,
             r.fecha.strftime("%Y-%m-%dT%H:%M:%S.%fZ")) for r in rows] == [
        (asked["id"], "ana", "admin", "ana", "hola, ¿me ayudan? 😀", asked["fecha"]),
        (answered["id"], "admin", "ana", "ana", "claro que sí", answered["fecha"])]

    history = sessions["ana"].get(server.url + "/api/mensajes/mios").json()
    assert [(m["id"], m["fecha"]) for m in history][-2:] == [(asked["id"], asked["fecha"]),
                                                              (answered["id"], answered["fecha"])]
    assert "ana" in sessions["admin"].get(server.url + "/api/usuarios-conversaciones").json()


def test_longest_message_fits_a_websocket_frame(server, server_app, peers):
    """MAX_MESSAGE_LENGTH characters of 4-byte UTF-8 pass the server's frame limit; one more is refused."""
    bob = peers().connect(server, token=server.login("bob").cookies["token"])
    agent = peers().connect(server, token=server.login("agente2").cookies["token"])
    longest = "😀" * 2000
    ack = bob.send("admin", longest)
    assert ack["ok"] is True
    assert agent.receive() == ("mensaje_recibido", {"de": "bob", "nombre": "Bob", "para": "admin", "mensaje": longest,
                                                    "id": ack["id"], "fecha": ack["fecha"]})
    too_long = bob.send("admin", longest + "😀")
    assert too_long["ok"] is False and too_long["error"]
    assert bob.client.connected and agent.nothing_more()
    [row] = stored(server_app, [ack["id"]])
    assert row.mensaje == longest


def test_logout_over_http(server):
    """GET /logout over real HTTP clears the cookie; the chat then sends to /login."""
    http = server.login("ana")
    response = http.get(server.url + "/logout", headers=OWN_PAGE, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "token" not in http.cookies
    response = http.get(server.url + "/soporte", allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert requests.get(server.url + "/api/mensajes/mios").status_code == 401
