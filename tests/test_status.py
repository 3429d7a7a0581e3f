"""Conversation status (docs/protocol.md "Estado de conversaciones y respuestas desfasadas").

GET /api/conversaciones, the socket event cambiar_estado and the live estado_conversacion,
on SQLite or MariaDB (SOPORTE_TEST_DATABASE_URL), and across two processes with Redis.
"""
import time

import pytest
import redis

from conftest import live_socket, make_users
from soporte.extensions import db
from soporte.models import Conversacion
from test_api import add_messages, get_json
from test_events import events, send


def change(sio, con, estado):
    """Emit cambiar_estado and return its acknowledgement."""
    return sio.emit("cambiar_estado", {"con": con, "estado": estado}, callback=True)


def stored_status(app, customer):
    """(estado, estado_por, estado_id) of a stored conversation, or None."""
    with app.app_context():
        row = db.session.get(Conversacion, customer)
        found = None if row is None else (row.estado, row.estado_por, row.estado_id)
        db.session.remove()
        return found


def listed(client, query=""):
    """The list as GET /api/conversaciones answers it: [(usuario, estado)]."""
    return [(c["usuario"], c["estado"]) for c in get_json(client, "/api/conversaciones" + query)]


def status_events(sio):
    return [payload for name, payload in events(sio) if name == "estado_conversacion"]


@pytest.fixture
def agents(connect):
    """admin on two sockets, agente2 on one, and ana (a customer) on one."""
    return {"admin1": connect("admin"), "admin2": connect("admin"),
            "agente2": connect("agente2"), "ana": connect("ana")}


def flush(app):
    assert app.extensions["soporte"].writer.flush(10), "the writer did not store in time"


# --- the list -------------------------------------------------------------------------

def test_list_has_status_name_and_newest_id_most_recent_first(app, cookie_client):
    """Every conversation with its display name, newest id and status; new ones are open."""
    ana_ids = add_messages(app, ("ana", "admin", "hola"))
    bob_ids = add_messages(app, ("bob", "admin", "buenas"), ("admin", "bob", "dime"))
    listed = get_json(cookie_client("admin"), "/api/conversaciones")
    old_fields = ("usuario", "nombre", "ultimo_id", "estado", "estado_por")
    assert [{k: row[k] for k in old_fields} for row in listed] == [
        {"usuario": "bob", "nombre": "Bob", "ultimo_id": bob_ids[-1], "estado": "abierta", "estado_por": None},
        {"usuario": "ana", "nombre": "Ana", "ultimo_id": ana_ids[-1], "estado": "abierta", "estado_por": None},
    ]
    # the team inbox's fields: the latest message (whose), the customer's wait, the assignee
    bob, ana = listed
    assert {k: bob["ultimo"][k] for k in ("id", "de_usuario", "de_nombre", "mensaje")} == {
        "id": bob_ids[-1], "de_usuario": "admin", "de_nombre": "Admin", "mensaje": "dime"}
    assert (bob["esperando_id"], bob["esperando_desde"], bob["asignado"]) == (None, None, None)
    assert ana["ultimo"]["de_nombre"] == "Ana" and ana["esperando_id"] == ana_ids[0]
    assert ana["esperando_desde"].endswith("Z") and ana["esperando_desde"][:16] == ana["ultimo"]["fecha"][:16]
    # the original route is unchanged
    assert get_json(cookie_client("admin"), "/api/usuarios-conversaciones") == ["bob", "ana"]


def test_filter_and_paging(app, cookie_client, agents):
    """?estado= keeps one status; limite and antes page by newest id, as the message routes do."""
    with app.app_context():
        make_users(("carla", "user"), ("dario", "user"))
    ids = {name: add_messages(app, (name, "admin", "hola"))[0] for name in ("ana", "bob", "carla", "dario")}
    assert change(agents["admin1"], "bob", "resuelta")["ok"]
    assert change(agents["admin1"], "dario", "resuelta")["ok"]
    admin = cookie_client("admin")
    assert listed(admin) == [("dario", "resuelta"), ("carla", "abierta"), ("bob", "resuelta"), ("ana", "abierta")]
    assert listed(admin, "?estado=abierta") == [("carla", "abierta"), ("ana", "abierta")]
    assert listed(admin, "?estado=resuelta") == [("dario", "resuelta"), ("bob", "resuelta")]
    assert listed(admin, "?limite=2") == [("dario", "resuelta"), ("carla", "abierta")]
    assert listed(admin, f"?limite=2&antes={ids['carla']}") == [("bob", "resuelta"), ("ana", "abierta")]
    assert listed(admin, f"?estado=resuelta&limite=1&antes={ids['dario']}") == [("bob", "resuelta")]
    assert get_json(admin, "/api/conversaciones?estado=resuelta")[0]["estado_por"] == "admin"


def test_list_includes_what_the_writer_has_not_stored(app, cookie_client, agents):
    """Rows accepted but not stored yet count: a new conversation, and a resolved one the customer wrote to again."""
    ana_id = add_messages(app, ("ana", "admin", "hola"))[0]
    assert change(agents["admin1"], "ana", "resuelta")["ok"]
    chat = app.extensions["soporte"]
    for customer in ("ana", "bob"):  # as the relay leaves them for the writer
        message_id, fecha = chat.ids.next()
        chat.writer.unstored[message_id] = {"id": message_id, "de_usuario": customer, "para_usuario": "admin",
                                            "conversacion": customer, "mensaje": "otra", "fecha": fecha}
    try:
        admin = cookie_client("admin")
        assert listed(admin) == [("bob", "abierta"), ("ana", "abierta")]
        assert listed(admin, "?estado=resuelta") == []
        assert listed(admin, "?estado=abierta&limite=1") == [("bob", "abierta")]
        assert get_json(admin, "/api/conversaciones")[1]["ultimo_id"] > ana_id
        assert get_json(admin, "/api/conversaciones")[1]["estado_por"] == "ana"
    finally:
        chat.writer.unstored.clear()


@pytest.mark.parametrize("query", ["?estado=cerrada", "?estado=ABIERTA", "?limite=0", "?limite=x",
                                   "?antes=-1", "?limite=501"])
def test_bad_parameters_are_400_json(cookie_client, query):
    response = cookie_client("admin").get("/api/conversaciones" + query)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"]


def test_list_is_for_agents_only(client, cookie_client):
    assert client.get("/api/conversaciones").status_code == 401
    response = cookie_client("ana").get("/api/conversaciones")
    assert response.status_code == 403 and "error" in response.get_json()


# --- transitions ------------------------------------------------------------------------

def test_agent_resolves_and_reopens_every_agent_socket_hears(app, agents):
    """cambiar_estado: acked with the status and the conversation's newest id, stored, and
    announced to every agent socket (the sender's too), never to the customer."""
    ack = send(agents["ana"], {"para": "admin", "mensaje": "hola"})
    reply = send(agents["agente2"], {"para": "ana", "mensaje": "hecho"})
    flush(app)
    for sio in agents.values():
        events(sio)
    assert change(agents["admin1"], "ana", "resuelta") == {"ok": True, "estado": "resuelta", "id": reply["id"]}
    announced = {"usuario": "ana", "estado": "resuelta", "por": "admin", "id": reply["id"]}
    for name in ("admin1", "admin2", "agente2"):
        assert status_events(agents[name]) == [announced], name
    # the customer hears no status, only the question about this resolution (tests/test_ratings.py)
    assert [name for name, _ in events(agents["ana"])] == ["pedir_valoracion"]
    assert stored_status(app, "ana") == ("resuelta", "admin", reply["id"])

    assert change(agents["agente2"], "ana", "abierta") == {"ok": True, "estado": "abierta", "id": reply["id"]}
    for name in ("admin1", "admin2", "agente2"):
        assert status_events(agents[name]) == [{**announced, "estado": "abierta", "por": "agente2"}]
    assert stored_status(app, "ana") == ("abierta", "agente2", reply["id"])
    assert ack["ok"]


def test_customer_message_reopens_a_resolved_conversation(app, agents):
    """A newer customer message reopens it once stored, announced with the customer and the message's id."""
    send(agents["ana"], {"para": "admin", "mensaje": "hola"})
    flush(app)
    assert change(agents["admin1"], "ana", "resuelta")["ok"]
    send(agents["admin1"], {"para": "ana", "mensaje": "¿algo más?"})  # an agent's reply does not reopen
    flush(app)
    assert stored_status(app, "ana")[0] == "resuelta"
    for sio in agents.values():
        events(sio)
    ack = send(agents["ana"], {"para": "admin", "mensaje": "sí, otra cosa"})
    flush(app)
    reopened = {"usuario": "ana", "estado": "abierta", "por": "ana", "id": ack["id"]}
    for name in ("admin1", "admin2", "agente2"):
        assert status_events(agents[name]) == [reopened], name
    assert stored_status(app, "ana") == ("abierta", "ana", ack["id"])


def test_resolving_counts_messages_not_stored_yet(app, agents):
    """A conversation whose messages the writer has not stored can be resolved; its row keeps the status."""
    chat = app.extensions["soporte"]
    ack = send(agents["ana"], {"para": "admin", "mensaje": "primer mensaje"})
    # the resolve may run before or after the writer stores: either way the status holds
    assert change(agents["admin1"], "ana", "resuelta") == {"ok": True, "estado": "resuelta", "id": ack["id"]}
    flush(app)
    assert stored_status(app, "ana") == ("resuelta", "admin", ack["id"])
    assert chat.writer.backlog == 0


def test_customer_cannot_change_status(app, agents):
    send(agents["ana"], {"para": "admin", "mensaje": "hola"})
    flush(app)
    for sio in agents.values():
        events(sio)
    ack = change(agents["ana"], "ana", "resuelta")
    assert ack == {"ok": False, "error": "Solo los agentes pueden cambiar el estado de una conversación"}
    assert stored_status(app, "ana") == ("abierta", None, None)
    assert all(events(sio) == [] for sio in agents.values())


@pytest.mark.parametrize("payload", [None, "ana", [], {"con": "ana"}, {"estado": "resuelta"},
                                     {"con": "ana", "estado": "cerrada"}, {"con": "", "estado": "abierta"},
                                     {"con": 3, "estado": "abierta"}, {"con": "ana", "estado": None},
                                     {"con": "x" * 65, "estado": "abierta"},
                                     {"con": "bob", "estado": "resuelta"},  # bob never wrote
                                     {"con": "agente2", "estado": "resuelta"}, {"con": "nadie", "estado": "abierta"}])
def test_bad_changes_are_refused(app, agents, payload):
    send(agents["ana"], {"para": "admin", "mensaje": "hola"})
    flush(app)
    for sio in agents.values():
        events(sio)
    ack = agents["admin1"].emit("cambiar_estado", payload, callback=True)
    assert ack["ok"] is False and ack["error"].strip() and set(ack) == {"ok", "error"}
    assert stored_status(app, "ana") == ("abierta", None, None)
    assert all(events(sio) == [] for sio in agents.values())


def test_changes_share_the_sockets_message_allowance(app, connect):
    """cambiar_estado takes from the same bucket as mensaje_privado (each change writes the database)."""
    send(connect("ana"), {"para": "admin", "mensaje": "hola"})
    app.config.update(MESSAGE_BURST=3, MESSAGE_RATE=0.001)
    admin = connect("admin")
    assert [change(admin, "ana", e)["ok"] for e in ("resuelta", "abierta", "resuelta")] == [True] * 3
    assert change(admin, "ana", "abierta") == {"ok": False, "error": "Demasiados mensajes; espera un momento"}
    assert stored_status(app, "ana")[0] == "resuelta"


# --- two processes, one Redis -------------------------------------------------------------

@pytest.fixture
def two_servers(redis_servers):
    """Two soporte processes on one database and one Redis channel (unique to this test)."""
    return redis_servers(2, 12)


def received(client, event, timeout=5.0):
    """The next `event` this client receives (others are skipped)."""
    while True:
        name, *args = client.receive(timeout=timeout)
        if name == event:
            return args[0]


def shared_newest(url, key, author, message_id, timeout=10.0):
    """Wait until Redis holds `message_id` as the author's newest (the relay shares in the background)."""
    r = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while int(r.hget(key, author) or 0) < message_id:
        assert time.monotonic() < deadline, f"{key} never reached {message_id}"
        time.sleep(0.02)


def test_status_changes_reach_agents_on_every_process(app, two_servers):
    """Resolved on B, heard on A and B; ana writes on A, the reopening is heard on B."""
    a, b = two_servers
    ana, agent_a, agent_b = live_socket(a, "ana"), live_socket(a, "agente2"), live_socket(b, "admin")
    try:
        first = ana.call("mensaje_privado", {"para": "admin", "mensaje": "hola"})
        assert first["ok"]
        # B knows the newest id through Redis even before A's writer stores it
        env = a.extra_env
        shared_newest(env["SOPORTE_SOCKETIO_MESSAGE_QUEUE"],
                      f"soporte:ultimo:{env['SOPORTE_SOCKETIO_CHANNEL']}:ana", "ana", first["id"])
        assert agent_b.call("cambiar_estado", {"con": "ana", "estado": "resuelta"}) == {
            "ok": True, "estado": "resuelta", "id": first["id"]}
        resolved = {"usuario": "ana", "estado": "resuelta", "por": "admin", "id": first["id"]}
        assert received(agent_a, "estado_conversacion") == resolved
        assert received(agent_b, "estado_conversacion") == resolved
        again = ana.call("mensaje_privado", {"para": "admin", "mensaje": "sigo sin poder"})
        reopened = {"usuario": "ana", "estado": "abierta", "por": "ana", "id": again["id"]}
        assert received(agent_b, "estado_conversacion") == reopened
        assert received(agent_a, "estado_conversacion") == reopened
        assert ana.call("cambiar_estado", {"con": "ana", "estado": "resuelta"})["ok"] is False
    finally:
        for client in (ana, agent_a, agent_b):
            client.disconnect()
    assert stored_status(app, "ana") == ("abierta", "ana", again["id"])
