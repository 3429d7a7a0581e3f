"""The Socket.IO relay (PROTOCOL.md "Socket.IO"), with Flask-SocketIO's test client.

Every test client is one socket with its own queue, so copies are counted per socket.
"""
import logging
import re
import threading
import time
from datetime import datetime, timezone

import pytest

from conftest import CSRF_FIELD, make_token, stored_messages
from soporte.extensions import socketio

FECHA = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
MAX = 2000  # MAX_MESSAGE_LENGTH's default


def send(sio, *args):
    """Emit mensaje_privado with these arguments and return the acknowledgement."""
    return sio.emit("mensaje_privado", *args, callback=True)


def events(sio):
    """The (event, payload) pairs this socket received since the last call."""
    return [(e["name"], e["args"][0] if len(e["args"]) == 1 else e["args"]) for e in sio.get_received()]


def assert_accepted(ack):
    """An ok acknowledgement has exactly ok, id and fecha; return it."""
    assert isinstance(ack, dict), ack
    assert set(ack) == {"ok", "id", "fecha"}, ack
    assert ack["ok"] is True
    assert isinstance(ack["id"], int)
    assert FECHA.match(ack["fecha"]), ack["fecha"]
    return ack


def assert_refused(ack, what=""):
    assert isinstance(ack, dict) and set(ack) == {"ok", "error"}, (what, ack)
    assert ack["ok"] is False, what
    assert isinstance(ack["error"], str) and ack["error"].strip(), (what, ack)


@pytest.fixture
def room(connect):
    """Everyone connected: admin on two sockets, agente2, ana on two sockets, bob."""
    sockets = {
        "admin1": connect("admin"), "admin2": connect("admin"), "agente2": connect("agente2"),
        "ana1": connect("ana"), "ana2": connect("ana"), "bob": connect("bob"),
    }
    for sio in sockets.values():
        assert events(sio) == []  # nothing is sent on connect
    return sockets


USER_OF = {"admin1": "admin", "admin2": "admin", "agente2": "agente2", "ana1": "ana", "ana2": "ana", "bob": "bob"}


def received_by(sockets):
    """What each socket received, by name."""
    return {name: events(sio) for name, sio in sockets.items()}


# --- connection -----------------------------------------------------------------

def test_connect_needs_a_valid_token(app, client, cookie_client):
    """No cookie, a cookie without token, or a bad token: refused; the login token: accepted."""
    assert not socketio.test_client(app).is_connected()
    client.set_cookie("otra", "1")
    assert not socketio.test_client(app, flask_test_client=client).is_connected()
    for bad in ("basura", make_token(expires_in=-5), make_token(secret="otro-secreto-de-al-menos-32-bytes!!")):
        client.set_cookie("token", bad)
        assert not socketio.test_client(app, flask_test_client=client).is_connected(), bad
    sio = socketio.test_client(app, flask_test_client=cookie_client("ana"))
    assert sio.is_connected()
    sio.disconnect()


def test_connect_with_auth_token_and_cookie_precedence(app, client, token_for):
    """Scripts may pass {"token": jwt} as auth; where both are present, the cookie wins."""
    sio = socketio.test_client(app, auth={"token": token_for("ana")})
    assert sio.is_connected()
    sio.disconnect()
    assert not socketio.test_client(app, auth={"token": "basura"}).is_connected()
    assert not socketio.test_client(app, auth={"token": 42}).is_connected()
    client.set_cookie("token", "basura")
    assert not socketio.test_client(app, flask_test_client=client,
                                    auth={"token": token_for("ana")}).is_connected()


def test_auth_token_identifies_the_sender(app, connect, token_for):
    """The socket speaks as the token's user: an agent's token makes an agent socket."""
    ana = connect("ana")
    agent = socketio.test_client(app, auth={"token": token_for("agente2")})
    ack = assert_accepted(send(agent, {"para": "ana", "mensaje": "hola"}))
    assert events(ana) == [("mensaje_recibido", {"de": "agente2", "nombre": "Agente2", "mensaje": "hola", "para": "ana",
                                                 "id": ack["id"], "fecha": ack["fecha"]})]
    agent.disconnect()


def test_disconnect_is_logged(connect, caplog):
    ana = connect("ana")
    with caplog.at_level(logging.INFO, logger="soporte.realtime.connection"):
        ana.disconnect()
    assert any("disconnect" in r.getMessage() and "ana" in r.getMessage() for r in caplog.records)


# --- the routing table, row by row ---------------------------------------------------

def test_customer_to_inbox_reaches_every_agent_socket_once(app, room):
    """user -> inbox: one mensaje_recibido on every agent socket (the agent named like the inbox
    included, once), mensaje_enviado on the sender's other tab, nothing to anyone else."""
    ack = assert_accepted(send(room["ana1"], {"para": "admin", "mensaje": "hola"}))
    payload = {"de": "ana", "nombre": "Ana", "mensaje": "hola", "id": ack["id"], "para": "admin", "fecha": ack["fecha"]}
    assert received_by(room) == {
        "admin1": [("mensaje_recibido", payload)],
        "admin2": [("mensaje_recibido", payload)],
        "agente2": [("mensaje_recibido", payload)],
        "ana1": [],
        "ana2": [("mensaje_enviado", payload)],
        "bob": [],
    }
    [row] = stored_messages(app)
    assert (row["id"], row["de_usuario"], row["para_usuario"], row["conversacion"], row["mensaje"]) == (
        ack["id"], "ana", "admin", "ana", "hola")


def test_agent_to_customer_reaches_every_customer_socket_once(app, room):
    """admin -> user: mensaje_recibido on every socket of that user, mensaje_enviado on every
    other agent socket (the sender's other tab too), only the ack on the sending socket."""
    ack = assert_accepted(send(room["admin1"], {"para": "ana", "mensaje": "¿en qué te ayudo?"}))
    payload = {"de": "admin", "nombre": "Admin", "mensaje": "¿en qué te ayudo?", "id": ack["id"], "para": "ana",
               "fecha": ack["fecha"]}
    assert received_by(room) == {
        "admin1": [],
        "admin2": [("mensaje_enviado", payload)],
        "agente2": [("mensaje_enviado", payload)],
        "ana1": [("mensaje_recibido", payload)],
        "ana2": [("mensaje_recibido", payload)],
        "bob": [],
    }
    [row] = stored_messages(app)
    assert (row["id"], row["de_usuario"], row["para_usuario"], row["conversacion"]) == (
        ack["id"], "admin", "ana", "ana")


def test_second_agent_reply_is_seen_by_all_agents(app, room):
    ack = assert_accepted(send(room["agente2"], {"para": "bob", "mensaje": "hola bob"}))
    payload = {"de": "agente2", "nombre": "Agente2", "mensaje": "hola bob", "id": ack["id"], "para": "bob", "fecha": ack["fecha"]}
    assert received_by(room) == {
        "admin1": [("mensaje_enviado", payload)], "admin2": [("mensaje_enviado", payload)],
        "agente2": [], "ana1": [], "ana2": [], "bob": [("mensaje_recibido", payload)],
    }


def test_agent_may_write_to_a_customer_who_is_offline(app, connect):
    """An existing customer with no socket: accepted and stored, for the history."""
    admin = connect("admin")
    ack = assert_accepted(send(admin, {"para": "bob", "mensaje": "te escribo luego"}))
    assert [r["id"] for r in stored_messages(app)] == [ack["id"]]


def test_configured_inbox_name(app, room):
    """SUPPORT_INBOX renames the inbox: customers write to it, and only to it."""
    app.config["SUPPORT_INBOX"] = "soporte"
    assert_refused(send(room["ana1"], {"para": "admin", "mensaje": "hola"}))
    assert all(got == [] for got in received_by(room).values())
    ack = assert_accepted(send(room["ana1"], {"para": "soporte", "mensaje": "hola"}))
    got = received_by(room)
    assert [len(got[n]) for n in ("admin1", "admin2", "agente2", "ana2", "bob", "ana1")] == [1, 1, 1, 1, 0, 0]
    assert got["agente2"][0][1]["para"] == "soporte" and got["agente2"][0][1]["id"] == ack["id"]


REFUSED_RECIPIENTS = {
    "ana1": ["bob", "agente2", "ana", "Admin", "admin ", " admin", "", "user:admin", "admins"],
    "admin1": ["nadie", "agente2", "admin", "ANA", "ana ", " ana", "an%", "ana' OR '1'='1",
               "user:ana", "admins"],
}


@pytest.mark.parametrize("sender", REFUSED_RECIPIENTS)
def test_refused_recipients(app, room, sender):
    """user -> anyone but the inbox, admin -> an unknown user or another agent: refused,
    not delivered, not stored."""
    for para in REFUSED_RECIPIENTS[sender]:
        assert_refused(send(room[sender], {"para": para, "mensaje": "hola"}), para)
        assert all(got == [] for got in received_by(room).values()), para
    assert stored_messages(app) == []


# --- validation ---------------------------------------------------------------------------

def bad_payloads(para):
    """Payloads every sender gets refused, each with a label."""
    return {
        "empty": {"para": para, "mensaje": ""},
        "blank": {"para": para, "mensaje": "   "},
        "whitespace": {"para": para, "mensaje": "\n\t \r\n"},
        "too long": {"para": para, "mensaje": "x" * (MAX + 1)},
        "too long, multibyte": {"para": para, "mensaje": "ñ" * (MAX + 1)},
        "mensaje number": {"para": para, "mensaje": 42},
        "mensaje null": {"para": para, "mensaje": None},
        "mensaje list": {"para": para, "mensaje": ["hola"]},
        "mensaje object": {"para": para, "mensaje": {"texto": "hola"}},
        "mensaje bool": {"para": para, "mensaje": True},
        "para number": {"para": 1, "mensaje": "hola"},
        "para null": {"para": None, "mensaje": "hola"},
        "para list": {"para": [para], "mensaje": "hola"},
        "no para": {"mensaje": "hola"},
        "no mensaje": {"para": para},
        "empty object": {},
        "cid number": {"para": para, "mensaje": "hola", "cid": 7},
        "cid empty": {"para": para, "mensaje": "hola", "cid": ""},
        "cid too long": {"para": para, "mensaje": "hola", "cid": "c" * 65},
    }


NON_OBJECTS = {"string": ("hola",), "list": (["admin", "hola"],), "null": (None,), "number": (42,),
               "no argument": (), "two arguments": ("admin", "hola")}


@pytest.mark.parametrize("sender, para", [("ana1", "admin"), ("admin1", "ana")])
def test_invalid_payloads_are_refused_and_nothing_is_delivered_or_stored(app, room, sender, para):
    for label, payload in bad_payloads(para).items():
        assert_refused(send(room[sender], payload), label)
        assert all(got == [] for got in received_by(room).values()), label
    for label, args in NON_OBJECTS.items():
        assert_refused(send(room[sender], *args), label)
        assert all(got == [] for got in received_by(room).values()), label
    assert stored_messages(app) == []
    # the socket is still usable, and the one good message is the only one stored
    ack = assert_accepted(send(room[sender], {"para": para, "mensaje": "ahora sí"}))
    assert [r["id"] for r in stored_messages(app)] == [ack["id"]]


class NoNodeHeld:
    """Stands in for a NodeLease that holds no number (Redis away since the process started)."""

    def current(self):
        return None


@pytest.mark.parametrize("sender, para", [("ana1", "admin"), ("admin1", "ana")])
def test_without_a_node_messages_are_refused_and_nothing_is_delivered_or_stored(app, room, sender, para):
    """No node number leased: an id could collide with another process's, so the relay refuses."""
    from soporte.relay.ids import IdGenerator

    chat = app.extensions["soporte"]
    leased, chat.ids = chat.ids, IdGenerator(NoNodeHeld())
    ack = send(room[sender], {"para": para, "mensaje": "hola", "cid": "c1"})
    assert ack == {"ok": False,
                   "error": "El servidor no está listo para enviar mensajes; inténtalo de nuevo en unos segundos"}
    assert all(got == [] for got in received_by(room).values())
    assert stored_messages(app) == []
    chat.ids = leased  # a node again: the same cid goes through, once
    ack = assert_accepted(send(room[sender], {"para": para, "mensaje": "hola", "cid": "c1"}))
    assert [r["id"] for r in stored_messages(app)] == [ack["id"]]


@pytest.mark.parametrize("sender, para, receiver", [("ana1", "admin", "agente2"), ("admin1", "ana", "ana2")])
def test_maximum_length_is_accepted_and_stored_intact(app, room, sender, para, receiver):
    """Exactly MAX_MESSAGE_LENGTH characters, in 1-, 2- and 4-byte UTF-8, goes through unchanged."""
    texts = ["x" * MAX, "ñ" * MAX, "😀" * MAX, "  con espacios alrededor  "]
    acks = [assert_accepted(send(room[sender], {"para": para, "mensaje": t})) for t in texts]
    assert [p["mensaje"] for _, p in events(room[receiver])] == texts
    rows = stored_messages(app)
    assert [(r["id"], r["mensaje"]) for r in rows] == [(a["id"], t) for a, t in zip(acks, texts)]


def test_configured_maximum_length(app, connect):
    app.config["MAX_MESSAGE_LENGTH"] = 10
    ana = connect("ana")
    assert_accepted(send(ana, {"para": "admin", "mensaje": "x" * 10}))
    assert_refused(send(ana, {"para": "admin", "mensaje": "x" * 11}))
    assert len(stored_messages(app)) == 1


def test_extra_fields_are_ignored(app, connect):
    """Unknown fields do not change who the message is from."""
    ana, agent = connect("ana"), connect("agente2")
    ack = assert_accepted(send(ana, {"para": "admin", "mensaje": "hola", "de": "bob", "id": 1}))
    [(_, payload)] = events(agent)
    assert payload["de"] == "ana" and payload["id"] == ack["id"]
    assert stored_messages(app)[0]["de_usuario"] == "ana"


# --- storage: what is stored is what was emitted and acknowledged ----------------------------

@pytest.fixture
def far_from_utc(monkeypatch):
    """Run with a local time zone far from UTC, so a local timestamp cannot pass for UTC."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_every_accepted_message_is_stored_with_its_emitted_id_and_fecha(app, room, far_from_utc):
    script = [("ana1", "admin", "hola"), ("admin1", "ana", "hola ana"), ("bob", "admin", "soy bob"),
              ("agente2", "bob", "hola bob"), ("ana2", "admin", "sigo aquí"), ("admin2", "bob", "¿algo más?")]
    sent = []
    for i in range(3):
        for sender, para, texto in script:
            ack = assert_accepted(send(room[sender], {"para": para, "mensaje": f"{texto} {i}"}))
            sent.append((sender, para, f"{texto} {i}", ack))
    emitted = {}
    for got in received_by(room).values():
        for name, payload in got:
            emitted.setdefault(payload["id"], []).append(payload)

    ids = [ack["id"] for *_, ack in sent]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "ids increase in sending order"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = stored_messages(app)
    assert len(rows) == len(sent)
    by_id = {r["id"]: r for r in rows}
    for sender, para, texto, ack in sent:
        row = by_id[ack["id"]]
        de = USER_OF[sender]
        assert (row["de_usuario"], row["para_usuario"], row["mensaje"]) == (de, para, texto)
        assert row["conversacion"] == (para if de in ("admin", "agente2") else de)
        assert row["fecha"].strftime("%Y-%m-%dT%H:%M:%S.%fZ") == ack["fecha"]
        assert abs((now - row["fecha"]).total_seconds()) < 30, "fecha is UTC"
        assert emitted[ack["id"]], "every accepted message was delivered"
        for payload in emitted[ack["id"]]:
            assert payload == {"de": de, "nombre": de.capitalize(), "para": para, "mensaje": texto, "id": ack["id"], "fecha": ack["fecha"]}
    fechas = [r["fecha"] for r in rows]
    assert fechas == sorted(fechas), "fecha follows id order"


def test_history_returns_what_was_emitted(app, connect, cookie_client):
    """An accepted message is in the REST history at once, with the emitted id and fecha."""
    ana = connect("ana")
    acks = [assert_accepted(send(ana, {"para": "admin", "mensaje": f"m{i}"})) for i in range(3)]
    for _ in range(2):  # before and after the writer has stored them
        history = cookie_client("ana").get("/api/mensajes/mios").get_json()
        assert [(m["id"], m["fecha"], m["mensaje"]) for m in history] == [
            (a["id"], a["fecha"], f"m{i}") for i, a in enumerate(acks)]
        stored_messages(app)


# --- retries with a cid ---------------------------------------------------------------------------

def test_repeated_cid_is_acknowledged_alike_and_delivered_and_stored_once(app, room):
    first = assert_accepted(send(room["ana1"], {"para": "admin", "mensaje": "hola", "cid": "c-1"}))
    again = send(room["ana1"], {"para": "admin", "mensaje": "hola", "cid": "c-1"})
    from_other_tab = send(room["ana2"], {"para": "admin", "mensaje": "hola", "cid": "c-1"})
    assert again == first and from_other_tab == first
    got = received_by(room)
    assert [len(got[n]) for n in ("admin1", "admin2", "agente2", "bob")] == [1, 1, 1, 0]
    assert got["ana2"] == [("mensaje_enviado", got["admin1"][0][1])]

    other = assert_accepted(send(room["ana1"], {"para": "admin", "mensaje": "hola", "cid": "c-2"}))
    bobs = assert_accepted(send(room["bob"], {"para": "admin", "mensaje": "hola", "cid": "c-1"}))
    assert len({first["id"], other["id"], bobs["id"]}) == 3  # a cid is per sender
    rows = stored_messages(app)
    assert [(r["id"], r["de_usuario"], r["cid"]) for r in rows] == [
        (first["id"], "ana", "c-1"), (other["id"], "ana", "c-2"), (bobs["id"], "bob", "c-1")]
    received_by(room)
    # a retry after the message was stored still gets the same acknowledgement, and nothing else
    assert send(room["ana1"], {"para": "admin", "mensaje": "hola", "cid": "c-1"}) == first
    assert all(got == [] for got in received_by(room).values())
    assert len(stored_messages(app)) == 3


def test_a_retry_after_a_restart_gets_the_original_ack(app, connect):
    """A new process recalls the acks of recently stored messages, so a retried cid is not sent twice."""
    ana = connect("ana")
    first = ana.emit("mensaje_privado", {"para": "admin", "mensaje": "hola", "cid": "c-restart"}, callback=True)
    assert first["ok"] is True
    chat = app.extensions["soporte"]
    assert chat.writer.flush()
    chat._acks.clear()  # what a new process starts with
    with app.app_context():
        chat.recall_acks()
    admin = connect("admin")
    again = ana.emit("mensaje_privado", {"para": "admin", "mensaje": "hola", "cid": "c-restart"}, callback=True)
    assert again == first
    assert admin.get_received() == []
    assert len(stored_messages(app)) == 1


def test_a_message_whose_journaling_outlives_its_ack_is_held_then_delivered_once(app, connect, cookie_client,
                                                                                monkeypatch):
    """The journal stuck past ACK_TIMEOUT: the sender is told it is not stored yet and nobody has it (live
    or in the history); a retry of the cid waits for the same message; once journaled it is delivered
    once, with the one id."""
    writer = app.extensions["soporte"].writer
    journal, unstuck = writer.spool.append, threading.Event()
    monkeypatch.setattr(writer.spool, "append", lambda rows: (unstuck.wait(30), journal(rows)))
    app.config["ACK_TIMEOUT"] = 0.1
    admin, ana = connect("admin"), connect("ana")
    message = {"para": "admin", "mensaje": "lento", "cid": "c-lento"}
    not_yet = {"ok": False, "error": "El mensaje aún no se ha podido guardar; vuelve a intentarlo en un momento"}
    assert send(ana, message) == not_yet
    assert send(ana, message) == not_yet  # the retry waits on the first try, it is no second message
    assert events(admin) == []
    assert cookie_client("admin").get("/api/mensajes?con=ana").get_json() == []

    unstuck.set()
    deadline = time.monotonic() + 10  # the late delivery runs in the background
    delivered = []
    while not delivered and time.monotonic() < deadline:
        delivered = events(admin)
        time.sleep(0.01)
    app.config["ACK_TIMEOUT"] = 10
    ack = assert_accepted(send(ana, message))
    assert [(name, payload["id"]) for name, payload in delivered + events(admin)] == [("mensaje_recibido", ack["id"])]
    assert [(r["id"], r["cid"]) for r in stored_messages(app)] == [(ack["id"], "c-lento")]


def test_registering_makes_a_customer_writable_at_once(app, client, connect):
    """An agent refused for an unknown name can write to it right after that name registers."""
    admin = connect("admin")
    refused = admin.emit("mensaje_privado", {"para": "nuevo", "mensaje": "hola"}, callback=True)
    assert refused["ok"] is False
    page = client.get("/registro").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    response = client.post("/registro", data={"user": "nuevo", "nombre": "Nuevo", "pass": "contraseña-larga",
                                              "pass2": "contraseña-larga", "csrf_token": token})
    assert response.status_code == 302
    accepted = admin.emit("mensaje_privado", {"para": "nuevo", "mensaje": "hola"}, callback=True)
    assert accepted["ok"] is True
