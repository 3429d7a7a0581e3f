"""Redis away with SOCKETIO_MESSAGE_QUEUE set: workers still boot, log in and sign up; messages wait for a node.

Real gunicorn processes; Redis is cut and restored with the fault proxy between them and it.
"""
import json
import time

import pytest
import redis
import requests
from sqlalchemy import func, select

from conftest import CSRF_FIELD, PASSWORD, PROXIED_REDIS_DB, drain, live_socket, redis_url
from soporte.extensions import db
from soporte.models import Mensaje
from soporte.relay.node_lease import PREFIX

pytestmark = pytest.mark.slow  # no database of its own to test: run once (the SQLite pass)

REDIS_DB = PROXIED_REDIS_DB  # the proxied servers' and the direct ones' alike: one set of node numbers
NOT_READY = "El servidor no está listo para enviar mensajes; inténtalo de nuevo en unos segundos"


def readyz(server):
    """The status code and body of /readyz."""
    response = requests.get(server.url + "/readyz", timeout=10)
    return response.status_code, response.json()


def wait_for(condition, timeout, what):
    """Poll condition() every 0.2 s until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def register(server, username):
    """POST /registro through the real form; the status code."""
    http = requests.Session()
    token = CSRF_FIELD.search(http.get(server.url + "/registro").text).group(1)
    return http.post(server.url + "/registro", allow_redirects=False,
                     data={"user": username, "nombre": username, "pass": PASSWORD, "pass2": PASSWORD,
                           "csrf_token": token}).status_code


def count_rows(app):
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Mensaje))
        db.session.remove()
        return n


def test_a_worker_boots_without_redis_and_leases_a_node_once_it_is_back(app, proxied_server, redis_proxy):
    """Redis refusing connections: the worker boots, is alive but not ready (no node), logs in and
    signs up (limits in memory), refuses messages without delivering or storing them; Redis back:
    it leases a node, is ready, and relays."""
    redis_proxy.cut("refuse")
    server = proxied_server()
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    status, body = readyz(server)
    assert status == 503 and body["status"] == "unavailable"
    assert body["node"] is None and body["database"]["ok"] is True
    assert body["redis"]["ok"] is False and body["redis"]["error"] and "127.0.0.1" not in body["redis"]["error"]

    ana = live_socket(server, "ana")  # logs in through the real form (302, not 500)
    admin = live_socket(server, "admin")
    try:
        assert register(server, "carla") == 302
        assert "falling back to in-memory storage" in server.log()
        drain(admin)
        assert ana.call("mensaje_privado", {"para": "admin", "mensaje": "sin nodo"}) == {
            "ok": False, "error": NOT_READY}
        assert [e for e in drain(admin) if e[0] == "mensaje_recibido"] == []

        redis_proxy.restore()
        status, body = wait_for(lambda: (lambda r: r[0] == 200 and r)(readyz(server)), 15,
                                "no node leased after Redis came back")
        assert isinstance(body["node"], int) and body["redis"]["ok"] is True
        holder = redis.Redis.from_url(redis_url(REDIS_DB), decode_responses=True)
        assert holder.exists(f"{PREFIX}{body['node']}")
        ack = ana.call("mensaje_privado", {"para": "admin", "mensaje": "con nodo"})
        assert ack["ok"] is True
    finally:
        ana.disconnect()
        admin.disconnect()
    server.stop()  # flushes the writer
    assert count_rows(app) == 1  # the refused message was never stored


def test_a_worker_boots_beside_a_redis_that_never_answers(app, proxied_server, redis_proxy):
    """Redis's host gone (connections accepted by nobody, never answered): the worker still boots,
    /readyz answers (503, no node, Redis timed out), and logins and sign-ups go through."""
    redis_proxy.cut("blackhole")
    server = proxied_server()
    status, body = readyz(server)
    assert status == 503 and body["node"] is None and body["redis"] == {
        "ok": False, "error": "TimeoutError", "ms": body["redis"]["ms"]}
    server.login("ana")
    assert register(server, "carla") == 302
    redis_proxy.restore()
    wait_for(lambda: readyz(server)[0] == 200, 15, "no node leased after Redis came back")


def test_two_processes_lease_different_nodes_and_a_clean_exit_frees_its_own(redis_servers):
    """Processes sharing Redis hold distinct numbers; one that stops frees its key at once."""
    one, two = redis_servers(2, REDIS_DB)
    nodes = [readyz(server)[1]["node"] for server in (one, two)]
    assert None not in nodes and nodes[0] != nodes[1]
    control = redis.Redis.from_url(redis_url(REDIS_DB))
    assert control.exists(*(f"{PREFIX}{n}" for n in nodes)) == 2
    one.stop()
    assert control.exists(f"{PREFIX}{nodes[0]}") == 0
    assert control.exists(f"{PREFIX}{nodes[1]}") == 1


def test_renewal_keeps_the_node_and_a_process_cut_off_gives_it_up(app, proxied_server, redis_proxy):
    """With a 3 s lease: renewed, the node stays through several leases; Redis cut, the process
    reports no node (503) before its key can expire; Redis back, it holds a node again."""
    server = proxied_server(NODE_LEASE_SECONDS=3)
    server.wait_ready()
    node = readyz(server)[1]["node"]
    control = redis.Redis.from_url(redis_url(REDIS_DB), decode_responses=True)
    token = control.get(f"{PREFIX}{node}")
    deadline = time.monotonic() + 7  # more than two leases: only renewals keep the key alive
    while time.monotonic() < deadline:
        status, body = readyz(server)
        assert (status, body["node"]) == (200, node)
        time.sleep(0.5)
    assert control.get(f"{PREFIX}{node}") == token

    redis_proxy.cut("refuse")
    wait_for(lambda: readyz(server)[1]["node"] is None, 10, "the cut-off process kept its node")
    assert readyz(server)[0] == 503
    # given up first: the key, if it has not expired yet, is still this process's, so nobody else has the number
    assert control.get(f"{PREFIX}{node}") in (token, None)
    redis_proxy.restore()
    wait_for(lambda: readyz(server)[0] == 200, 15, "no node after Redis came back")


def test_a_slow_redis_holds_no_handler(app, proxied_server, redis_proxy):
    """Every Redis round trip 1 s late: a customer's messages are still acknowledged, and reach an
    agent on the same process, at once (the publishes wait in the outbox, not in the handler);
    then they reach the other processes' side of the channel too."""
    server = proxied_server()
    server.wait_ready()
    ana, admin = live_socket(server, "ana"), live_socket(server, "admin")
    listener = redis.Redis.from_url(redis_url(REDIS_DB)).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(server.env["SOPORTE_SOCKETIO_CHANNEL"])  # what the other processes would get
    try:
        drain(admin)
        redis_proxy.stall(1.0)
        started = time.monotonic()
        acks = [ana.call("mensaje_privado", {"para": "admin", "mensaje": f"lento {i}"}, timeout=10)
                for i in range(5)]
        elapsed = time.monotonic() - started
        assert all(ack["ok"] for ack in acks)
        assert elapsed < 1.0, f"5 messages took {elapsed:.1f} s: a handler waited for Redis"
        got = [e[1]["id"] for e in drain(admin) if e[0] == "mensaje_recibido"]
        assert got == [ack["id"] for ack in acks]
        published = []
        deadline = time.monotonic() + 15
        while len(published) < 10 and time.monotonic() < deadline:
            message = listener.get_message(timeout=1)
            if message:
                data = json.loads(message["data"])
                published += data if isinstance(data, list) else [data]
        relayed = [m["data"][0]["id"] for m in published if m.get("event") == "mensaje_recibido"]
        assert relayed == [ack["id"] for ack in acks]
    finally:
        redis_proxy.restore()
        listener.close()
        ana.disconnect()
        admin.disconnect()
