"""Several processes as one chat through the Redis message queue (real processes, real Redis)."""

import json

import pytest
import redis
from sqlalchemy import func, select

from conftest import drain, live_socket, redis_url
from soporte.extensions import db
from soporte.models import Mensaje


@pytest.fixture
def redis_db():
    """The Redis database number the servers' queue URL names (pubsub ignores it; CLIENT LIST shows it)."""
    return 0


@pytest.fixture
def two_servers(redis_servers, redis_db):
    """Two soporte processes on one database and one Redis channel (unique to this test)."""
    return redis_servers(2, redis_db)


GAP_REDIS_DB = 9  # the gap test's servers alone use it, so it can cut just their subscriptions


def count_rows(app, **filters):
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Mensaje).filter_by(**filters))
        db.session.remove()
        return n


def test_messages_cross_processes_both_ways_once_per_socket(app, two_servers):
    """A customer on A reaches agents on A and B once per socket; replies from B reach A."""
    a, b = two_servers
    ana = live_socket(a, "ana")
    admin_b1, admin_b2 = live_socket(b, "admin"), live_socket(b, "admin")  # one agent, two tabs
    agente2_a = live_socket(a, "agente2")
    try:
        ack = ana.call("mensaje_privado", {"para": "admin", "mensaje": "hola desde A"})
        assert ack["ok"] is True
        for agent in (admin_b1, admin_b2, agente2_a):
            events = drain(agent)
            assert [e[0] for e in events] == ["mensaje_recibido"]
            assert events[0][1]["id"] == ack["id"] and events[0][1]["mensaje"] == "hola desde A"

        reply = admin_b1.call("mensaje_privado", {"para": "ana", "mensaje": "hola desde B"})
        assert reply["ok"] is True
        assert [(e[0], e[1]["id"]) for e in drain(ana)] == [("mensaje_recibido", reply["id"])]
        # the other agent (process A) and the agent's other tab (B) see the reply once
        for agent in (agente2_a, admin_b2):
            assert [(e[0], e[1]["id"]) for e in drain(agent)] == [("mensaje_enviado", reply["id"])]
        assert drain(admin_b1) == []
    finally:
        for client in (ana, admin_b1, admin_b2, agente2_a):
            client.disconnect()


def test_a_message_is_one_publish_carrying_its_rooms_and_its_copy_to_the_senders_tabs(app, two_servers, redis_db):
    """A customer's message is in one PUBLISH: mensaje_recibido to the agents and the recipient's room,
    and mensaje_enviado to the customer's other tabs, both in one JSON list (which may carry
    other messages too: emits gather for PUBLISH_GATHER)."""
    a, _ = two_servers
    listener = redis.Redis.from_url(redis_url(redis_db)).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(a.env["SOPORTE_SOCKETIO_CHANNEL"])
    ana = live_socket(a, "ana")
    try:
        while listener.get_message(timeout=0.5):  # the connect's own publishes (presence)
            pass
        ids = [ana.call("mensaje_privado", {"para": "admin", "mensaje": f"uno {i}"})["id"] for i in range(5)]
        publishes = []
        while (message := listener.get_message(timeout=1)) is not None:
            publishes.append(json.loads(message["data"]))
        in_publish = {}  # message id -> the index of the publish that carried it, with its events
        for n, publish in enumerate(publishes):
            for m in publish if isinstance(publish, list) else [publish]:
                if m.get("event") in ("mensaje_recibido", "mensaje_enviado"):
                    in_publish.setdefault(m["data"][0]["id"], []).append((n, m["event"], m["room"]))
        assert list(in_publish) == ids
        for carried in in_publish.values():
            n = carried[0][0]
            assert carried == [(n, "mensaje_recibido", ["admins", "user:admin"]), (n, "mensaje_enviado", "user:ana")]
    finally:
        listener.close()
        ana.disconnect()


def test_each_message_is_stored_once_by_the_receiving_process(app, two_servers):
    """Messages sent through both processes are stored exactly once each, with distinct ids."""
    a, b = two_servers
    ana, bob = live_socket(a, "ana"), live_socket(b, "bob")
    try:
        acks = [client.call("mensaje_privado", {"para": "admin", "mensaje": f"m{i}"})
                for i in range(20) for client in (ana, bob)]
    finally:
        ana.disconnect()
        bob.disconnect()
    ids = [ack["id"] for ack in acks]
    assert all(ack["ok"] for ack in acks) and len(set(ids)) == len(ids)
    for server in two_servers:  # SIGTERM flushes each writer
        server.stop()
    assert count_rows(app) == 40
    assert count_rows(app, de_usuario="ana") == 20 and count_rows(app, de_usuario="bob") == 20


@pytest.mark.parametrize("redis_db", [GAP_REDIS_DB])
def test_a_gap_in_the_redis_subscription_asks_that_process_sockets_to_resynchronise(app, redis_db, two_servers):
    """Redis dropping a lagging subscriber loses what is published meanwhile: the pages are told to catch up."""
    import redis

    a, b = two_servers
    admin_a, admin_b = live_socket(a, "admin"), live_socket(b, "admin")
    try:
        drain(admin_a), drain(admin_b)
        # what Redis does to a subscriber past its output buffer limit: close its connection
        control = redis.Redis.from_url(redis_url(GAP_REDIS_DB))
        listeners = [c["id"] for c in control.client_list(_type="pubsub") if c["db"] == str(GAP_REDIS_DB)]
        assert len(listeners) == 2  # one per process
        for client_id in listeners:
            control.client_kill_filter(_id=client_id)
        events = {name for name, *_ in drain(admin_a, timeout=3)}
        assert "resincronizar" in events
        assert "resincronizar" in {name for name, *_ in drain(admin_b, timeout=3)}
        # and the queue works again after the gap
        ana = live_socket(a, "ana")
        assert ana.call("mensaje_privado", {"para": "admin", "mensaje": "después del corte"})["ok"]
        got = [data for name, data in drain(admin_b, timeout=2) if name == "mensaje_recibido"]
        assert [m["mensaje"] for m in got] == ["después del corte"]
        ana.disconnect()
    finally:
        admin_a.disconnect()
        admin_b.disconnect()
