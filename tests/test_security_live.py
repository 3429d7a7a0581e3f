"""Security against a real server process (gunicorn + eventlet), with real and raw websockets:
the Origin check, tokens on the wire, logout and expiry closing live sockets, floods, oversized
frames and malformed Engine.IO/Socket.IO packets.

A raw client speaks Engine.IO v4 text by hand: "0{...}" open, "40" connect, "42[...]" event,
"43<id>[...]" ack, "44{...}" connect error (see docs/protocol.md and the Socket.IO protocol).
"""
import json
import queue
import statistics
import threading
import struct
import time

import pytest
import requests
import socketio
import websocket

from conftest import OWN_PAGE, LiveServer, checker_app, redis_url
from soporte.extensions import db
from soporte.models import Mensaje
from soporte.protocol import TOO_MANY
from test_security import BAD_TOKENS, EXPECTED_HEADERS, set_role

# the production defaults where they matter here, and a fast sweep
SERVER_ENV = {"SOPORTE_MESSAGE_RATE": "5", "SOPORTE_MESSAGE_BURST": "20",
              "SOPORTE_REFUSAL_RATE": "20", "SOPORTE_REFUSAL_BURST": "100",
              "SOPORTE_ROLE_CACHE_TTL": "0", "SOPORTE_TOKEN_SWEEP_INTERVAL": "0.2"}


@pytest.fixture(scope="module")
def server_app(tmp_path_factory):
    """The test database with the usual accounts, for the servers and for checking what they stored."""
    with checker_app(tmp_path_factory.mktemp("seclive")) as app:
        yield app


@pytest.fixture(scope="module")
def server(server_app):
    """One server for the module, with SERVER_ENV."""
    live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"], SERVER_ENV)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def start_server(server_app):
    """Start another server on the same database with more settings; stopped after the test."""
    started = []

    def start(**env):
        live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"],
                          {**SERVER_ENV, **{f"SOPORTE_{k}": str(v) for k, v in env.items()}})
        started.append(live)
        return live.start()

    yield start
    for live in started:
        live.stop()


def refusal(packet):
    """The message of a connect_error packet ("44{...}"), or None for anything else."""
    return json.loads(packet[2:])["message"] if packet.startswith("44") else None


def token_of(server, username):
    """A fresh login token for an account, through the real login form."""
    return server.login(username).cookies["token"]


class Raw:
    """A websocket speaking Engine.IO/Socket.IO text by hand."""

    def __init__(self, server, token=None, origin="same"):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        options = {"timeout": 5, "cookie": f"token={token}" if token else None}
        if origin is None:
            options["suppress_origin"] = True
        else:
            options["origin"] = server.url if origin == "same" else origin
        self.ws = websocket.create_connection(url, **options)
        opening = self.ws.recv()
        assert opening.startswith("0{"), opening
        self.next_ack = 0

    def recv(self, timeout=5.0):
        """The next packet that is not a ping (pings are answered)."""
        self.ws.settimeout(timeout)
        while True:
            packet = self.ws.recv()
            if packet == "2":
                self.ws.send("3")
                continue
            return packet

    def connect(self, auth=None):
        """Send the namespace CONNECT and return the answer: 40{"sid"...} or 44{"message"...}."""
        self.ws.send("40" + ("" if auth is None else json.dumps(auth)))
        return self.recv()

    def emit(self, data, ack=True):
        """Send mensaje_privado; return the ack id (or None)."""
        ack_id = None
        if ack:
            ack_id, self.next_ack = self.next_ack, self.next_ack + 1
        self.ws.send(f"42{'' if ack_id is None else ack_id}" + json.dumps(["mensaje_privado", data]))
        return ack_id

    def event(self, name, *args):
        """Send any event, with an acknowledgement id; return the id."""
        ack_id, self.next_ack = self.next_ack, self.next_ack + 1
        self.ws.send(f"42{ack_id}" + json.dumps([name, *args]))
        return ack_id

    def acks(self, count, timeout=30.0):
        """Read until `count` acks arrived; return them by id."""
        found, deadline = {}, time.monotonic() + timeout
        while len(found) < count:
            packet = self.recv(max(0.1, deadline - time.monotonic()))
            if packet.startswith("43"):
                ack_id, _, body = packet[2:].partition("[")
                args = json.loads("[" + body)
                found[int(ack_id)] = args[0] if args else None  # an ack with no arguments
        return found

    def close_code(self, seconds=5.0):
        """The code of the close frame the server sends within `seconds`; "reset" if it dropped the
        connection (or stopped speaking websocket); None if it kept it open."""
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                self.ws.settimeout(max(0.05, deadline - time.monotonic()))
                opcode, data = self.ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    # 1005: a close frame with no code (RFC 6455 7.1.5)
                    return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketException, ConnectionError, OSError):
            return "reset"
        return None

    def closed_within(self, seconds):
        """Whether the server closes this websocket within `seconds` (whatever it sends first)."""
        return self.close_code(seconds) is not None

    def close(self):
        """Close this websocket, if the server has not already."""
        try:
            self.ws.close(timeout=1)
        except Exception:  # already closed by the server
            pass


class Peer:
    """A python-socketio client that records what it receives."""

    def __init__(self, server, token):
        self.events = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda event, *args: self.events.put((event, args[0] if args else None)))
        self.ended = threading.Event()
        self.client.on("disconnect", lambda *args: self.ended.set())
        self.client.connect(server.url, headers={"Cookie": f"token={token}"}, transports=["websocket"],
                            wait_timeout=10)

    def call(self, para, mensaje):
        """Send mensaje_privado and wait for its acknowledgement."""
        return self.client.call("mensaje_privado", {"para": para, "mensaje": mensaje}, timeout=10)

    def get(self, timeout=5.0):
        """The next (event, payload) received."""
        return self.events.get(timeout=timeout)

    def drain(self):
        """Everything received and not yet read."""
        items = []
        while not self.events.empty():
            items.append(self.events.get())
        return items

    def close(self):
        """Disconnect, if still connected."""
        if self.client.connected:
            self.client.disconnect()


@pytest.fixture
def peers():
    """Make connected Peers; all are disconnected after the test."""
    made = []

    def make(server, token):
        made.append(Peer(server, token))
        return made[-1]

    yield make
    for peer in made:
        peer.close()


def still_relays(server, peers):
    """A fresh customer and agent still exchange a message through this server."""
    agent = peers(server, token_of(server, "agente2"))
    customer = peers(server, token_of(server, "ana"))
    ack = customer.call("admin", "¿sigue todo bien?")
    assert ack["ok"] is True
    event, payload = agent.get()
    assert event == "mensaje_recibido" and payload["id"] == ack["id"]
    return True


# --- the Origin check ---------------------------------------------------------------------------

FOREIGN = ["http://evil.example", "null", "http://127.0.0.1.evil.example", "https://127.0.0.1"]


def test_foreign_origin_is_refused_even_with_a_valid_cookie(server):
    """Same origin only by default: a page elsewhere cannot open a socket with the user's cookie,
    over websocket or polling. Same origin, and clients that send no Origin, are accepted."""
    token = token_of(server, "ana")
    port = server.url.rsplit(":", 1)[1]
    for origin in FOREIGN + [f"https://127.0.0.1:{port}", "http://127.0.0.1:1"]:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            Raw(server, token, origin=origin)
        assert refused.value.status_code == 400, origin
        polling = requests.get(server.url + "/socket.io/?EIO=4&transport=polling",
                               headers={"Origin": origin, "Cookie": f"token={token}"})
        assert polling.status_code == 400, origin
    for origin in ("same", None):
        raw = Raw(server, token, origin=origin)
        assert raw.connect().startswith("40{"), origin
        raw.close()


def test_configured_origins_are_accepted_and_others_still_refused(start_server):
    live = start_server(CORS_ALLOWED_ORIGINS="https://chat.example.com, https://soporte.example.com")
    token = token_of(live, "ana")
    for origin in ("https://chat.example.com", "https://soporte.example.com"):
        raw = Raw(live, token, origin=origin)
        assert raw.connect().startswith("40{")
        raw.close()
    for origin in ("http://evil.example", "https://chat.example.com.evil.example"):
        with pytest.raises(websocket.WebSocketBadStatusException):
            Raw(live, token, origin=origin)


# --- tokens on the wire -------------------------------------------------------------------------

def test_bad_tokens_are_refused_on_the_wire(server):
    """Every bad token, as the cookie and as auth.token: connect_error "Token inválido"."""
    for name, token in BAD_TOKENS.items():
        raw = Raw(server, token)
        assert refusal(raw.connect()) == "Token inválido", name
        raw.close()
        raw = Raw(server)
        assert refusal(raw.connect({"token": token})) == "Token inválido", name
        raw.close()
    raw = Raw(server, token_of(server, "ana"))  # the control
    assert raw.connect().startswith("40{")
    raw.close()


def test_logout_closes_the_real_sockets_of_that_browser(server, peers):
    """GET /logout: that login's open sockets get sesion_terminada and are disconnected at once;
    the user's other browser stays; the old token no longer connects or calls the API."""
    browser = server.login("ana")
    token = browser.cookies["token"]
    tab1, tab2 = peers(server, token), peers(server, token)
    other = peers(server, token_of(server, "ana"))
    browser.get(server.url + "/logout", headers=OWN_PAGE)
    for tab in (tab1, tab2):
        assert tab.ended.wait(3), "the socket of the logged-out token stayed open"
        assert ("sesion_terminada", {"motivo": "logout"}) in tab.drain()
    assert other.client.connected and other.call("admin", "sigo aquí")["ok"] is True
    assert refusal(Raw(server, token).connect()) == "Token inválido"
    assert requests.get(server.url + "/api/mensajes/mios", cookies={"token": token}).status_code == 401


def test_expired_token_disconnects_the_live_socket(start_server, peers):
    """JWT_EXPIRES seconds after login, the sweep closes the socket (sesion_terminada: expirado)."""
    live = start_server(JWT_EXPIRES=2)
    token = token_of(live, "ana")
    peer = peers(live, token)
    assert peer.call("admin", "a tiempo")["ok"] is True
    assert peer.ended.wait(6), "the socket outlived its token"
    assert ("sesion_terminada", {"motivo": "expirado"}) in peer.drain()
    assert refusal(Raw(live, token).connect()) == "Token inválido"


def test_demoted_agent_is_disconnected_by_the_sweep(server_app, server, peers):
    """An agent demoted in the database loses the agents' room within a sweep (ROLE_CACHE_TTL 0 here)."""
    agent = peers(server, token_of(server, "agente2"))
    with server_app.app_context():
        db.session.execute(db.update(db.metadata.tables["usuarios"]).where(
            db.metadata.tables["usuarios"].c.usuario == "agente2").values(rol="user"))
        db.session.commit()
    try:
        assert agent.ended.wait(5), "the demoted agent kept the socket"
        assert ("sesion_terminada", {"motivo": "permisos"}) in agent.drain()
    finally:
        with server_app.app_context():
            db.session.execute(db.update(db.metadata.tables["usuarios"]).where(
                db.metadata.tables["usuarios"].c.usuario == "agente2").values(rol="admin"))
            db.session.commit()
            db.session.remove()



def test_logout_and_login_limits_hold_across_processes(start_server, peers):
    """Two processes sharing Redis: a logout on one closes the socket on the other, and failed
    logins count on both."""
    url, unique = redis_url(14), f"sec{time.time_ns()}"
    env = {"SOCKETIO_MESSAGE_QUEUE": url, "SOCKETIO_CHANNEL": unique, "RATELIMIT_KEY_PREFIX": unique,
           "LOGIN_RATE_LIMIT": "3 per minute"}
    one, two = start_server(NODE_ID=1, **env), start_server(NODE_ID=2, **env)
    browser = one.login("ana")
    token = browser.cookies["token"]
    peer = peers(two, token)
    browser.get(one.url + "/logout", headers=OWN_PAGE)
    assert peer.ended.wait(5), "the other process kept the logged-out socket"
    assert requests.get(two.url + "/api/mensajes/mios", cookies={"token": token}).status_code == 401

    def failed_login(live):
        """POST a wrong password through the real form; the status code."""
        page = requests.get(live.url + "/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        return requests.post(live.url + "/login", cookies=page.cookies, allow_redirects=False,
                             data={"user": "ana", "pass": "mala", "csrf_token": csrf}).status_code

    assert [failed_login(one), failed_login(two), failed_login(one)] == [401, 401, 401]
    assert failed_login(two) == 429


# --- floods, frames, packets -------------------------------------------------------------------

def test_a_flood_is_refused_while_another_client_keeps_its_latency(server_app, server, peers):
    """One socket sends 300 messages at once: past the bucket they are refused (and not delivered
    or stored) while another customer's messages go through as fast as without the flood."""
    ana, agent = peers(server, token_of(server, "ana")), peers(server, token_of(server, "admin"))

    def latencies(count):
        """Send `count` messages one after another; the seconds each ack took."""
        times = []
        for i in range(count):
            start = time.perf_counter()
            assert ana.call("admin", f"normal {i}")["ok"] is True
            times.append(time.perf_counter() - start)
        return times

    quiet = latencies(5)
    flooder = Raw(server, token_of(server, "bob"))
    assert flooder.connect().startswith("40{")
    start = time.monotonic()
    for i in range(300):
        flooder.emit({"para": "admin", "mensaje": f"flood {i}"})
    busy = latencies(10)
    acks = flooder.acks(300)
    elapsed = time.monotonic() - start
    accepted = [a for a in acks.values() if a["ok"]]
    refused = [a for a in acks.values() if not a["ok"]]
    assert 20 <= len(accepted) <= 20 + 5 * elapsed + 2, (len(accepted), elapsed)
    assert refused and all(a == {"ok": False, "error": TOO_MANY} for a in refused)
    assert max(busy) < max(1.0, 10 * statistics.median(quiet)), (quiet, busy)
    assert statistics.median(busy) < 0.5, busy

    time.sleep(0.5)
    delivered = [p for e, p in agent.drain() if e == "mensaje_recibido" and p["de"] == "bob"]
    assert sorted(p["id"] for p in delivered) == sorted(a["id"] for a in accepted)
    ids = [a["id"] for a in accepted]
    deadline = time.monotonic() + 15
    while True:
        with server_app.app_context():
            stored = db.session.scalar(db.select(db.func.count()).select_from(Mensaje).where(
                Mensaje.de_usuario == "bob", Mensaje.mensaje.like("flood %")))
            db.session.remove()
        if stored >= len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert stored == len(ids)
    flooder.close()


@pytest.mark.parametrize("frame", ["text", "binary"])
def test_an_oversized_frame_closes_only_that_socket(server, peers, frame):
    """A 1 MB websocket frame is past max_http_buffer_size: the server closes that socket; the
    others, and the server, go on."""
    agent = peers(server, token_of(server, "admin"))
    attacker = Raw(server, token_of(server, "bob"))
    assert attacker.connect().startswith("40{")
    body = "42" + json.dumps(["mensaje_privado", {"para": "admin", "mensaje": "x" * (1 << 20)}])
    try:
        if frame == "text":
            attacker.ws.send(body)
        else:
            attacker.ws.send_binary(body.encode())
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close it while the megabyte is still being written: still checked below
    assert attacker.closed_within(5), "the server kept a socket that sent 1 MB"
    assert agent.client.connected
    assert still_relays(server, peers)
    assert server.process.poll() is None


def junk_before_connect():
    """Packets a client may send before (or instead of) the namespace CONNECT."""
    return ["hola", "", "9", "1", "3", "4", "4x", "49", "41", "42[\"mensaje_privado\",{}]",
            "40\"texto\"", "40[1,2]", "40123", "40null", "40{\"token\":5}", "40{\"token\":[\"x\"]}",
            "40{", "40" + "[" * 50_000, "40/otro,", b"\x00\xff\xfe\xfd", b"\x04" + b"\x00" * 100]


def junk_after_connect():
    """Packets a connected client may send that the server must survive."""
    return ["42", "42[", "42{}", "42[]", "42[1,2]", "42null", "42\"mensaje_privado\"",
            "42[\"mensaje_privado\",{para:}]", "42[\"mensaje_privado\"", "421[\"evento_desconocido\",{}]",
            "42[\"evento_desconocido\"]", "42[\"connect\"]", "42[\"disconnect\"]",
            "42[\"mensaje_privado\"," + "[" * 50_000 + "]", "42[\"mensaje_privado\",{\"para\":" + "[" * 50_000 + "}]",
            "43[]", "4399[\"x\"]", "44", "45", "451-[\"mensaje_privado\",{\"_placeholder\":true,\"num\":0}]",
            "4599999-[\"mensaje_privado\"]", "45-1-[\"x\"]", "46", "47", "41", "42/otro,[\"mensaje_privado\",{}]",
            "40", b"\x00\xff\xfe\xfd", b"\x04\x01\x02", "2", "6", "5"]


def test_a_flood_of_refused_payloads_is_bounded_and_costs_no_messages(server, peers):
    """An agent sends 400 messages to names that do not exist: past REFUSAL_BURST (100) plus
    REFUSAL_RATE (20) a second they are answered unchecked as too many refusals; another socket
    chats on. A customer's refusals leave the message allowance whole."""
    from soporte.protocol import TOO_MANY_REFUSED

    flooder = Raw(server, token_of(server, "agente2"))
    assert flooder.connect().startswith("40{")
    start = time.monotonic()
    for i in range(400):
        flooder.emit({"para": f"nadie{i}", "mensaje": "hola"})
    acks = flooder.acks(400)
    elapsed = time.monotonic() - start
    checked = [a for a in acks.values() if a["error"].startswith("No existe el usuario")]
    muted = [a for a in acks.values() if a["error"] == TOO_MANY_REFUSED]
    print(f"\n400 refused payloads in {elapsed:.2f} s: {len(checked)} checked, {len(muted)} muted")
    assert 100 <= len(checked) <= 100 + 20 * elapsed + 2, (len(checked), elapsed)
    assert len(checked) + len(muted) == 400
    assert still_relays(server, peers)
    flooder.close()

    customer = Raw(server, token_of(server, "bob"))
    assert customer.connect().startswith("40{")
    for _ in range(50):
        customer.emit({"para": "ana", "mensaje": "no a soporte"})
    for i in range(20):
        customer.emit({"para": "admin", "mensaje": f"tras rechazos {i}"})
    acks = customer.acks(70)
    assert [acks[i]["ok"] for i in range(50, 70)] == [True] * 20  # the whole burst, after 50 refusals
    customer.close()


def test_malformed_packets_do_not_hurt_the_server(server, peers):
    """Garbage, bad packet types, CONNECT with auth that is not an object, events with bad JSON,
    binary junk, unknown events: the server survives (the socket may be closed) and others chat on."""
    observer = peers(server, token_of(server, "admin"))
    token = token_of(server, "bob")
    for connect_first, packets in ((False, junk_before_connect()), (True, junk_after_connect())):
        for packet in packets:
            raw = Raw(server, token)
            if connect_first:
                assert raw.connect().startswith("40{")
            if isinstance(packet, bytes):
                raw.ws.send_binary(packet)
            else:
                raw.ws.send(packet)
            raw.closed_within(0.1)
            raw.close()
            assert server.process.poll() is None, packet
    assert observer.client.connected
    assert still_relays(server, peers)


@pytest.mark.parametrize("data, error", [
    ('{"para":"admin","mensaje":"hola \\ud800"}', "El mensaje contiene caracteres no válidos"),
    ('{"para":"admin","mensaje":NaN}', "El mensaje debe ser texto"),
    ('{"para":"admin","mensaje":-Infinity}', "El mensaje debe ser texto"),
    ('{"para":"admin","mensaje":"hola","cid":1e400}', "cid debe ser texto de 1 a 64 caracteres"),
    ('{"para":"admin","mensaje":"hola","cid":' + "9" * 60 + "}", "cid debe ser texto de 1 a 64 caracteres"),
], ids=["lone surrogate", "NaN", "-Infinity", "1e400", "60 digits"])
def test_json_the_fast_parser_refuses_still_gets_its_refusal(server, peers, data, error):
    """What orjson will not decode goes to the standard library, so the sender hears why (and the socket goes on)."""
    agent = peers(server, token_of(server, "admin"))
    raw = Raw(server, token_of(server, "bob"))
    assert raw.connect().startswith("40{")
    raw.ws.send('427["mensaje_privado",' + data + "]")
    assert raw.acks(1) == {7: {"ok": False, "error": error}}
    ack_id = raw.emit({"para": "admin", "mensaje": "después del rechazo"})
    assert raw.acks(1)[ack_id]["ok"] is True
    event, payload = agent.get()
    assert (event, payload["mensaje"]) == ("mensaje_recibido", "después del rechazo")
    raw.close()


def test_connect_with_auth_that_is_not_an_object(server):
    """auth of any JSON type: the cookie still authenticates; without it, "No autenticado"."""
    token = token_of(server, "bob")
    for auth in ('"texto"', "[1,2]", "123", "null", '{"token":5}', '{"token":["x"]}', '{"token":null}'):
        raw = Raw(server, token)
        raw.ws.send("40" + auth)
        assert raw.recv().startswith("40{"), auth
        raw.close()
        raw = Raw(server)
        raw.ws.send("40" + auth)
        answer = raw.recv()
        assert refusal(answer) in ("No autenticado", "Token inválido"), (auth, answer)
        raw.close()


def test_unknown_events_are_ignored_and_the_socket_goes_on(server, peers):
    agent = peers(server, token_of(server, "admin"))
    raw = Raw(server, token_of(server, "bob"))
    assert raw.connect().startswith("40{")
    raw.ws.send('4250["no_existe",{"a":1}]')
    raw.ws.send('42["join",{"room":"admins"}]')
    raw.ws.send('42["mensaje_recibido",{"de":"admin","mensaje":"falso"}]')
    ack_id = raw.emit({"para": "admin", "mensaje": "después de eventos desconocidos"})
    assert raw.acks(1)[ack_id]["ok"] is True
    event, payload = agent.get()
    assert (event, payload["de"]) == ("mensaje_recibido", "bob")
    ana_msg = peers(server, token_of(server, "ana")).call("admin", "solo para soporte")
    assert ana_msg["ok"] is True
    # bob asked to join the agents' room: he must not get ana's message
    raw.ws.settimeout(0.5)
    try:
        while True:
            packet = raw.ws.recv()
            assert "solo para soporte" not in packet
    except websocket.WebSocketTimeoutException:
        pass
    raw.close()


def test_security_headers_from_the_real_server(server):
    for route in ("/login", "/api/mensajes/mios", "/static/soporte.css"):
        response = requests.get(server.url + route)
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (route, name)


# --- reserved event names -----------------------------------------------------------------------

NOT_ALLOWED = {"ok": False, "error": "Evento no permitido"}


def cut_within(raw, seconds):
    """Whether the server ends this socket's Socket.IO session within `seconds`: a namespace
    DISCONNECT ("41"), which it sends after sesion_terminada, or the websocket closing."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if raw.recv(max(0.05, deadline - time.monotonic())).startswith("41"):
                return True
    except websocket.WebSocketTimeoutException:
        return False
    except (websocket.WebSocketException, ConnectionError, OSError):
        return True
    return False


def hears(raw, text, seconds=0.5):
    """Whether any packet the raw socket gets within `seconds` contains `text`."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if text in raw.recv(max(0.05, deadline - time.monotonic())):
                return True
    except (websocket.WebSocketException, ConnectionError, OSError):
        pass  # quiet, or closed
    return False


def test_a_forged_disconnect_leaves_a_demoted_agent_to_the_sweep(server_app, server, peers):
    """`42["disconnect"]` does not take the socket off the session list: once its agent is demoted
    the sweep still cuts it (out of every room), so it hears no more of the customers."""
    agent = Raw(server, token_of(server, "agente2"))
    assert agent.connect().startswith("40{")
    forged = agent.event("disconnect")
    assert agent.acks(1)[forged] == NOT_ALLOWED
    agent.ws.send('42["disconnect"]')  # and without an acknowledgement
    set_role(server_app, "agente2", "user")
    try:
        assert cut_within(agent, 5), "the demoted agent's socket was not cut after a forged disconnect"
        customer = peers(server, token_of(server, "ana"))
        assert customer.call("admin", "solo para agentes")["ok"] is True
        assert not hears(agent, "solo para agentes")
    finally:
        set_role(server_app, "agente2", "admin")
        agent.close()


def test_a_forged_disconnect_does_not_outlive_the_token(start_server, server, peers):
    """After `42["disconnect"]` the sweep still cuts the socket when its token expires, and it
    gets no customer message after that."""
    live = start_server(JWT_EXPIRES=2)
    agent = Raw(live, token_of(live, "admin"))
    assert agent.connect().startswith("40{")
    agent.ws.send('42["disconnect"]')
    assert cut_within(agent, 6), "the socket outlived its token after a forged disconnect"
    customer = peers(live, token_of(server, "ana"))  # a token of the other server: 1 h
    assert customer.call("admin", "hay alguien ahi")["ok"] is True
    assert not hears(agent, "hay alguien ahi")
    agent.close()
def test_a_forged_connect_gives_no_fresh_bucket_and_no_second_presence(server):
    """`42["connect"]` between messages: refused, so 200 messages still get only the bucket's
    allowance (MESSAGE_BURST 20, MESSAGE_RATE 5 here), and presence counts the socket once."""
    flooder = Raw(server, token_of(server, "bob"))
    assert flooder.connect().startswith("40{")
    forged, start = [], time.monotonic()
    for i in range(200):
        if i % 10 == 0:
            forged.append(flooder.event("connect"))
        flooder.emit({"para": "admin", "mensaje": f"reconectado {i}"})
    acks = flooder.acks(200 + len(forged))
    elapsed = time.monotonic() - start
    assert all(acks.pop(ack_id) == NOT_ALLOWED for ack_id in forged)
    accepted = sum(ack["ok"] for ack in acks.values())
    assert 20 <= accepted <= 20 + 5 * elapsed + 2, (accepted, elapsed)
    flooder.close()
    agent = server.login("admin")
    deadline = time.monotonic() + 5
    while "bob" in agent.get(server.url + "/api/presencia").json()["usuarios"]:
        assert time.monotonic() < deadline, "bob stays online after his only socket closed"
        time.sleep(0.1)
