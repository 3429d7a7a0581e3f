"""Typing indicators (`escribiendo`): routing like mensaje_privado, a throttle per typist and conversation."""
import pytest

RELAYED = {"ok": True, "reenviado": True}
DROPPED = {"ok": True, "reenviado": False}


def typing(sio, *args):
    """Emit escribiendo with these arguments and return the acknowledgement."""
    return sio.emit("escribiendo", *args, callback=True)


def received(sio):
    """The (event, payload) pairs this socket received since the last call."""
    return [(e["name"], e["args"][0]) for e in sio.get_received()]


@pytest.fixture
def room(connect):
    """admin on two tabs, agente2, ana on two tabs, bob."""
    return {"admin1": connect("admin"), "admin2": connect("admin"), "agente2": connect("agente2"),
            "ana1": connect("ana"), "ana2": connect("ana"), "bob": connect("bob")}


def everyone(room):
    """What each socket of the room received, by name."""
    return {name: received(sio) for name, sio in room.items()}


def test_customer_typing_reaches_every_agent_and_not_their_own_tabs(room):
    """A customer types to the inbox: each agent socket gets one event; the customer's other tab none."""
    assert typing(room["ana1"], {"para": "admin"}) == RELAYED
    event = ("escribiendo", {"de": "ana", "nombre": "Ana", "con": "ana"})
    assert everyone(room) == {"admin1": [event], "admin2": [event], "agente2": [event],
                              "ana1": [], "ana2": [], "bob": []}


def test_agent_typing_reaches_the_customer_and_other_agents_not_own_tabs(room):
    """An agent types to a customer: the customer's tabs and the other agents, not the typist's tabs."""
    assert typing(room["admin1"], {"para": "ana"}) == RELAYED
    event = ("escribiendo", {"de": "admin", "nombre": "Admin", "con": "ana"})
    assert everyone(room) == {"admin1": [], "admin2": [], "agente2": [event],
                              "ana1": [event], "ana2": [event], "bob": []}


def test_throttle_relays_one_event_per_typist_and_conversation(room):
    """Several events in a row: one relayed, the others dropped with reenviado false."""
    acks = [typing(room["ana1"], {"para": "admin"}) for _ in range(5)]
    acks.append(typing(room["ana2"], {"para": "admin"}))  # another tab of the same typist
    assert acks == [RELAYED] + [DROPPED] * 5
    assert len(received(room["agente2"])) == 1


def test_throttle_is_per_conversation_and_per_typist(room):
    """An agent typing in two conversations, and two agents in one, are all relayed."""
    assert typing(room["admin1"], {"para": "ana"}) == RELAYED
    assert typing(room["admin1"], {"para": "bob"}) == RELAYED
    assert typing(room["agente2"], {"para": "ana"}) == RELAYED
    assert typing(room["bob"], {"para": "admin"}) == RELAYED
    assert [p["de"] for _, p in received(room["ana1"])] == ["admin", "agente2"]
    assert [(p["de"], p["con"]) for _, p in received(room["admin2"])] == [("agente2", "ana"), ("bob", "bob")]
    assert [(p["de"], p["con"]) for _, p in received(room["bob"])] == [("admin", "bob")]


def test_throttle_allows_again_after_the_interval(app, room):
    """Past TYPING_INTERVAL the typist is relayed again (the throttle's clock, not a sleep)."""
    throttle = app.extensions["soporte.typing"]
    assert typing(room["ana1"], {"para": "admin"}) == RELAYED
    assert typing(room["ana1"], {"para": "admin"}) == DROPPED
    throttle._last = {key: t - throttle.interval for key, t in throttle._last.items()}
    assert typing(room["ana1"], {"para": "admin"}) == RELAYED
    assert len(received(room["admin1"])) == 2


@pytest.mark.parametrize("who, payload", [
    ("ana1", {"para": "bob"}),  # a customer to another customer
    ("ana1", {"para": "agente2"}),  # a customer to an agent by name: only the inbox
    ("admin1", {"para": "agente2"}),  # an agent to an agent
    ("admin1", {"para": "nadie"}),  # an agent to no one
    ("ana1", {}), ("ana1", {"para": ""}), ("ana1", {"para": 7}), ("ana1", "admin"), ("ana1", None),
    ("ana1", {"para": "\ud800"}), ("admin1", {"para": "x" * 5000}),
])
def test_refused_like_mensaje_privado(room, who, payload):
    """Bad recipients and payloads get an error ack and reach no one."""
    ack = typing(room[who], payload)
    assert ack["ok"] is False and isinstance(ack["error"], str) and ack["error"], ack
    assert all(events == [] for events in everyone(room).values())


def test_no_payload_and_extra_arguments_are_refused(room):
    """escribiendo with no argument or two is a bad payload, not a crash."""
    for args in ((), ({"para": "admin"}, "extra")):
        ack = typing(room["ana1"], *args)
        assert ack["ok"] is False and ack["error"]
    assert room["ana1"].is_connected()


def test_typing_does_not_use_the_message_bucket(app, connect):
    """Typing never counts against a customer's message rate: the throttle is its own limit."""
    app.config.update(MESSAGE_RATE=0.001, MESSAGE_BURST=1)
    ana = connect("ana")
    for _ in range(5):
        assert typing(ana, {"para": "admin"})["ok"] is True
    ack = ana.emit("mensaje_privado", {"para": "admin", "mensaje": "hola"}, callback=True)
    assert ack["ok"] is True


@pytest.mark.parametrize("who, para", [
    ("admin1", "x" * 201), ("admin1", "x" * 5000), ("ana1", "x" * 201), ("ana1", "admin" + " " * 300),
    ("admin1", "ana\ud800"), ("ana1", "\udfff"),
])
def test_refusals_are_the_ones_mensaje_privado_gives(room, who, para):
    """A long or unstorable `para` gets the same refusal as mensaje_privado (the routing one, not "Falta...")."""
    message = room[who].emit("mensaje_privado", {"para": para, "mensaje": "hola"}, callback=True)
    assert message["ok"] is False
    assert typing(room[who], {"para": para}) == message
    assert all(events == [] for events in everyone(room).values())
