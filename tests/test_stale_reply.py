"""Stale replies (docs/protocol.md "Estado de conversaciones y respuestas desfasadas").

An agent's mensaje_privado with visto_hasta is refused when someone else wrote after it:
nothing delivered, nothing stored, what is new in the acknowledgement.
"""
import uuid

import pytest

from conftest import redis_url, stored_messages
from soporte.extensions import db
from soporte.relay.freshness import STALE, Freshness, get_freshness
from test_api import add_messages
from test_events import assert_accepted, events, send
from conftest import live_socket
from test_status import received, shared_newest, two_servers  # noqa: F401 (a fixture)


def assert_stale(ack, nuevos_ids, ultimo_id):
    """A stale-reply refusal listing these new messages (protocol shape, oldest first)."""
    assert set(ack) == {"ok", "error", "nuevos", "ultimo_id"}, ack
    assert ack["ok"] is False and ack["error"] == STALE
    assert [m["id"] for m in ack["nuevos"]] == nuevos_ids
    assert all(set(m) == {"id", "de_usuario", "para_usuario", "mensaje", "fecha"} for m in ack["nuevos"])
    assert ack["ultimo_id"] == ultimo_id


@pytest.fixture
def room(connect):
    """admin and agente2 (agents), ana (customer), each on one socket."""
    return {"admin": connect("admin"), "agente2": connect("agente2"), "ana": connect("ana")}


def quiet(room):
    for sio in room.values():
        events(sio)


def test_newer_customer_message_refuses_the_reply(app, room):
    """ana wrote after what admin has seen: refused with her message, delivered to no one, not stored."""
    first = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola"}))
    newer = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "¿sigues ahí?"}))
    quiet(room)
    ack = send(room["admin"], {"para": "ana", "mensaje": "hola, dime", "visto_hasta": first["id"], "cid": "r1"})
    assert_stale(ack, [newer["id"]], newer["id"])
    assert ack["nuevos"][0] == {"id": newer["id"], "de_usuario": "ana", "para_usuario": "admin",
                                "mensaje": "¿sigues ahí?", "fecha": newer["fecha"]}
    assert all(events(sio) == [] for sio in room.values())
    assert [r["mensaje"] for r in stored_messages(app)] == ["hola", "¿sigues ahí?"]


def test_newer_reply_by_another_agent_refuses_the_reply(app, room):
    first = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola"}))
    colleague = assert_accepted(send(room["agente2"], {"para": "ana", "mensaje": "ya te atiendo yo"}))
    quiet(room)
    ack = send(room["admin"], {"para": "ana", "mensaje": "te atiendo", "visto_hasta": first["id"]})
    assert_stale(ack, [colleague["id"]], colleague["id"])
    assert ack["nuevos"][0]["de_usuario"] == "agente2"
    assert all(events(sio) == [] for sio in room.values())
    assert len(stored_messages(app)) == 2


def test_nothing_newer_or_no_visto_hasta_is_accepted(app, room):
    """Seen up to the newest: delivered; without visto_hasta (the original page): delivered as before."""
    first = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola"}))
    quiet(room)
    ok = assert_accepted(send(room["admin"], {"para": "ana", "mensaje": "dime", "visto_hasta": first["id"]}))
    assert [e for e, _ in events(room["ana"])] == ["mensaje_recibido"]
    newer = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "otra"}))
    anyway = assert_accepted(send(room["agente2"], {"para": "ana", "mensaje": "sin visto_hasta"}))
    assert [r["id"] for r in stored_messages(app)] == [first["id"], ok["id"], newer["id"], anyway["id"]]


def test_own_earlier_messages_do_not_count(app, room):
    """A page that has not got its own last ack yet still sends the older visto_hasta: not stale."""
    first = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola"}))
    for text in ("uno", "dos", "tres"):
        assert_accepted(send(room["admin"], {"para": "ana", "mensaje": text, "visto_hasta": first["id"]}))
    # but another author's newer message still counts after the agent's own ones
    newer = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "gracias"}))
    assert_accepted(send(room["admin"], {"para": "ana", "mensaje": "cuatro"}))
    assert_stale(send(room["admin"], {"para": "ana", "mensaje": "cinco", "visto_hasta": first["id"]}),
                 [newer["id"]], newer["id"])


def test_send_anyway_with_the_same_cid(app, room):
    """The refusal is not remembered for its cid: the same cid without visto_hasta is delivered and stored once."""
    first = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola"}))
    assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "¿hola?"}))
    quiet(room)
    stale = send(room["admin"], {"para": "ana", "mensaje": "respuesta", "cid": "c-1", "visto_hasta": first["id"]})
    assert stale["ok"] is False
    ok = assert_accepted(send(room["admin"], {"para": "ana", "mensaje": "respuesta", "cid": "c-1"}))
    assert [(e, p["id"]) for e, p in events(room["ana"])] == [("mensaje_recibido", ok["id"])]
    # a retry of that cid (lost ack) gets the same ack, even with an old visto_hasta
    assert send(room["admin"], {"para": "ana", "mensaje": "respuesta", "cid": "c-1",
                                "visto_hasta": first["id"]}) == ok
    assert [r["cid"] for r in stored_messages(app)] == [None, None, "c-1"]


@pytest.mark.parametrize("seen", [-1, 1.5, True, "abc", "", "12a", [], {}, 2**63, "9" * 25])
def test_bad_visto_hasta_is_refused(app, room, seen):
    ack = send(room["admin"], {"para": "ana", "mensaje": "hola", "visto_hasta": seen})
    assert ack == {"ok": False, "error": "visto_hasta debe ser el id de un mensaje"}
    assert stored_messages(app) == []


def test_visto_hasta_as_digits_and_customers_ignored(app, room):
    """An id as a string of digits works (ids are JavaScript-safe numbers either way); a customer's is ignored."""
    first = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola"}))
    newer = assert_accepted(send(room["ana"], {"para": "admin", "mensaje": "hola otra vez", "visto_hasta": "x"}))
    assert_stale(send(room["admin"], {"para": "ana", "mensaje": "r", "visto_hasta": str(first["id"])}),
                 [newer["id"]], newer["id"])
    assert_accepted(send(room["admin"], {"para": "ana", "mensaje": "r", "visto_hasta": str(newer["id"])}))
    assert_accepted(send(room["admin"], {"para": "bob", "mensaje": "otra conversación", "visto_hasta": 0}))


def test_seeded_from_the_database_after_a_restart(app, room):
    """Messages stored before this process started are learnt by the seed; before it, unknown is accepted."""
    old, newest = add_messages(app, ("ana", "admin", "antes del reinicio"), ("agente2", "ana", "respuesta"))
    assert_accepted(send(room["admin"], {"para": "ana", "mensaje": "no se sabía", "visto_hasta": old}))
    with app.app_context():
        assert get_freshness().seed() >= 1
    [bob_old] = add_messages(app, ("bob", "admin", "hola"))
    with app.app_context():
        get_freshness().seed()
    assert_stale(send(room["admin"], {"para": "bob", "mensaje": "r", "visto_hasta": bob_old - 1}),
                 [], bob_old)  # the seed knows the newest id, not the text: the page fetches it
    assert_accepted(send(room["admin"], {"para": "bob", "mensaje": "r", "visto_hasta": bob_old}))
    assert newest > old


def test_two_processes_share_what_is_newest_through_redis(app):
    """Two Freshness objects on one Redis are two processes: a message recorded by one refuses a stale reply on the other."""
    config = {"SOCKETIO_MESSAGE_QUEUE": redis_url(12), "SOCKETIO_CHANNEL": f"t-{uuid.uuid4().hex}"}
    holder = type("App", (), {"config": config})
    a, b = Freshness(holder), Freshness(holder)
    ids = iter(range(1000, 2000))

    def message(de):
        return {"de": de, "id": next(ids), "para": "x", "mensaje": "m", "fecha": "2026-01-01T00:00:00.000000Z"}

    with app.app_context():
        seen = message("ana")
        assert a.admit("ana", seen) is None
        newer = message("ana")
        assert a.admit("ana", newer) is None
        shared_newest(config["SOCKETIO_MESSAGE_QUEUE"], a._prefix + "ana", "ana", newer["id"])
        refused = b.admit("ana", message("admin"), seen=seen["id"])
        assert refused["ultimo_id"] == newer["id"] and refused["nuevos"] == []  # b never saw its text
        assert a.admit("ana", message("admin"), seen=seen["id"])["nuevos"][0]["id"] == newer["id"]
        # two agents answering the same message on two processes: the second is refused
        assert b.admit("ana", message("agente2"), seen=newer["id"]) is None
        assert a.admit("ana", message("admin"), seen=newer["id"])["ultimo_id"] > newer["id"]
        assert b.newest("ana") == a.newest("ana") > newer["id"]
        a._redis.delete(a._prefix + "ana")


def test_sharing_survives_redis_forgetting_the_script(app):
    """Redis restarted (its scripts gone): the next share loads the claim script again and raises the newest id."""
    config = {"SOCKETIO_MESSAGE_QUEUE": redis_url(12), "SOCKETIO_CHANNEL": f"t-{uuid.uuid4().hex}"}
    freshness = Freshness(type("App", (), {"config": config}))
    freshness._redis.script_flush()
    freshness.share([("ana", "ana", 4242)])
    shared_newest(config["SOCKETIO_MESSAGE_QUEUE"], freshness._prefix + "ana", "ana", 4242)
    freshness._redis.delete(freshness._prefix + "ana")


def test_stale_reply_across_processes(app, two_servers):
    """ana writes on A; admin on B, who had not seen it, is refused; after seeing it, accepted."""
    a, b = two_servers
    ana, admin = live_socket(a, "ana"), live_socket(b, "admin")
    try:
        first = ana.call("mensaje_privado", {"para": "admin", "mensaje": "hola"})
        newer = ana.call("mensaje_privado", {"para": "admin", "mensaje": "¿hay alguien?"})
        assert received(admin, "mensaje_recibido")["id"] == first["id"]
        env = a.extra_env  # a customer's message reaches Redis just after its delivery
        shared_newest(env["SOPORTE_SOCKETIO_MESSAGE_QUEUE"],
                      f"soporte:ultimo:{env['SOPORTE_SOCKETIO_CHANNEL']}:ana", "ana", newer["id"])
        ack = admin.call("mensaje_privado", {"para": "ana", "mensaje": "hola", "visto_hasta": first["id"]})
        assert ack["ok"] is False and ack["error"] == STALE and ack["ultimo_id"] == newer["id"]
        ok = admin.call("mensaje_privado", {"para": "ana", "mensaje": "hola", "visto_hasta": newer["id"]})
        assert ok["ok"] is True
        assert received(ana, "mensaje_recibido")["id"] == ok["id"]  # the refused one never came
    finally:
        ana.disconnect()
        admin.disconnect()
    for server in two_servers:
        server.stop()
    assert [r["mensaje"] for r in stored_messages(app)] == ["hola", "¿hay alguien?", "hola"]
    with app.app_context():
        db.session.remove()
