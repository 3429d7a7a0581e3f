"""The operations page and GET /api/operaciones: this process's sockets, rooms, writer and message rate."""
import logging
import os
import time
import uuid

import pytest

from conftest import free_port, redis_url, stored_messages
from soporte.ops.operations import MINUTES, MinuteCounter, get_operations
from soporte.ops.fleet import Fleet
from test_events import assert_accepted, send
from test_writer import create_messages_table, drop_messages_table, wait_for_failure_log


class Clock:
    """A settable clock for the minute counter (seconds since the epoch)."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def figures(client):
    response = client.get("/api/operaciones")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_json_has_every_figure(app, cookie_client):
    """The shape monitoring relies on, on an idle process."""
    body = figures(cookie_client("admin"))
    assert set(body) >= {"nodo", "sockets", "usuarios_conectados", "agentes_conectados", "salas",
                         "escritor", "mensajes_por_minuto", "arranque"}
    assert body["nodo"] == app.extensions["soporte"].ids.node
    assert (body["sockets"], body["usuarios_conectados"], body["agentes_conectados"]) == (0, 0, 0)
    assert body["salas"] == []
    assert body["escritor"] == {"pendientes": 0, "spool_segmentos": 0, "almacenados": 0, "fallos": 0,
                                "aceptando": True}
    assert body["mensajes_por_minuto"] == [0] * MINUTES
    assert body["arranque"].endswith("Z") and body["cola_redis"] is False


def test_counts_sockets_users_agents_and_rooms(connect, cookie_client):
    """Two tabs of one customer and one agent: 3 sockets, 2 accounts, 1 agent; rooms summed up by kind."""
    connect("ana"), connect("ana"), connect("admin")
    body = figures(cookie_client("agente2"))  # HTTP only: not a socket
    assert (body["sockets"], body["usuarios_conectados"], body["agentes_conectados"]) == (3, 2, 1)
    assert body["salas"] == [
        {"sala": "admins", "salas": 1, "sockets": 1},
        {"sala": "token:*", "salas": 3, "sockets": 3},  # one login per socket here
        {"sala": "user:*", "salas": 2, "sockets": 3},
    ]


def test_a_disconnected_socket_is_no_longer_counted(connect, cookie_client):
    ana, admin = connect("ana"), connect("admin")
    admin.disconnect()
    body = figures(cookie_client("admin"))
    assert (body["sockets"], body["usuarios_conectados"], body["agentes_conectados"]) == (1, 1, 0)
    assert [s["sala"] for s in body["salas"]] == ["token:*", "user:*"]
    assert ana.is_connected()


def test_three_messages_count_three_in_this_minute(app, connect, cookie_client):
    """The relay counts each delivered message; a refused one is not counted."""
    get_operations(app).messages.clock = Clock(1_800_000_000)  # no minute boundary mid-test
    ana, admin = connect("ana"), connect("admin")
    assert_accepted(send(ana, {"para": "admin", "mensaje": "uno"}))
    assert_accepted(send(admin, {"para": "ana", "mensaje": "dos"}))
    assert_accepted(send(ana, {"para": "admin", "mensaje": "tres"}))
    assert send(ana, {"para": "bob", "mensaje": "refused"})["ok"] is False
    counts = figures(cookie_client("admin"))["mensajes_por_minuto"]
    assert counts == [0] * (MINUTES - 1) + [3]


def test_writer_figures_match_the_writer(app, connect, cookie_client, caplog):
    """While the database refuses inserts, the backlog and the spool depth are the writer's own."""
    caplog.set_level(logging.ERROR, logger="soporte.relay.writer")
    writer = app.extensions["soporte"].writer
    agent = cookie_client("admin")
    ana = connect("ana")
    drop_messages_table(app)
    for text in ("uno", "dos", "tres"):
        assert_accepted(send(ana, {"para": "admin", "mensaje": text}))
    wait_for_failure_log(caplog)
    escritor = figures(agent)["escritor"]
    assert escritor["pendientes"] == writer.backlog == 3
    assert escritor["spool_segmentos"] == writer.spool.depth() >= 1
    assert escritor["fallos"] >= 1 and escritor["almacenados"] == 0

    create_messages_table(app)
    assert len(stored_messages(app, timeout=20.0)) == 3
    escritor = figures(agent)["escritor"]
    assert (escritor["pendientes"], escritor["spool_segmentos"], escritor["almacenados"]) == (0, 0, 3)


def test_guards(client, cookie_client):
    """Strangers: 401 JSON / the login page; customers: 403 on both."""
    assert client.get("/api/operaciones").status_code == 401
    assert client.get("/api/operaciones").get_json() == {"error": "No autenticado"}
    page = client.get("/operaciones")
    assert page.status_code == 302 and page.headers["Location"].endswith("/login")
    ana = cookie_client("ana")
    assert ana.get("/api/operaciones").status_code == 403
    assert ana.get("/api/operaciones").get_json() == {"error": "Solo para agentes de soporte"}
    assert ana.get("/operaciones").status_code == 403


def test_the_page_renders_for_an_agent_and_is_linked_from_the_inbox(cookie_client):
    admin = cookie_client("admin")
    page = admin.get("/operaciones")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for marker in ('id="ops-sockets"', 'id="ops-salas"', 'id="ops-minutos"', 'id="ops-pendientes"',
                   'data-url="/api/operaciones"', "js/operaciones.js", "<title>Operaciones · Soporte</title>"):
        assert marker in html
    assert 'href="/operaciones"' in admin.get("/soporte").get_data(as_text=True)
    assert 'href="/operaciones"' not in cookie_client("ana").get("/soporte").get_data(as_text=True)


def test_minute_counter_ring():
    """Buckets of minutes gone by read as 0 and are reused; the current minute is last."""
    clock = Clock(60 * 1000 + 5)
    counter = MinuteCounter(minutes=3, clock=clock)
    counter.hit(), counter.hit()
    assert counter.last() == [0, 0, 2]
    clock.now += 60
    counter.hit()
    assert counter.last() == [0, 2, 1]
    clock.now += 120  # two minutes later: the first bucket (2) is past the window
    assert counter.last() == [1, 0, 0]
    counter.hit()
    assert counter.last() == [1, 0, 1]
    clock.now += 3600
    assert counter.last() == [0, 0, 0]


@pytest.fixture
def fleet_channel():
    """A channel of its own in Redis db 10, its keys removed afterwards."""
    url = redis_url(10)
    channel = f"prueba-{uuid.uuid4().hex}"
    yield url, channel
    client = Fleet(url, channel).redis
    for key in client.scan_iter(match=f"{channel}:*"):
        client.delete(key)


def other_process(url, channel, ident, nodo, ttl=60):
    """Figures as another process sharing the Redis would publish them."""
    fleet = Fleet(url, channel, ident=ident, ttl=ttl)
    host, pid = ident.split(":")
    fleet.publish({"nodo": nodo, "proceso": {"host": host, "pid": int(pid)}, "sockets": 5,
                   "usuarios_conectados": 4, "agentes_conectados": 1, "salas": [],
                   "escritor": {"pendientes": 2, "spool_segmentos": 1, "almacenados": 10, "fallos": 0,
                                "aceptando": True},
                   "mensajes_por_minuto": [0] * (MINUTES - 1) + [7], "arranque": "2026-01-01T00:00:00.000000Z"})
    return fleet


def test_with_redis_every_process_is_listed(app, connect, cookie_client, fleet_channel):
    """Each process publishes its figures under its own key; the JSON lists them all, this one fresh."""
    url, channel = fleet_channel
    get_operations(app).fleet = Fleet(url, channel, ident="este:1")
    other_process(url, channel, "otro:2", nodo=app.extensions["soporte"].ids.node + 1)
    connect("ana")
    body = figures(cookie_client("admin"))
    procesos = {p["proceso"]["pid"]: p for p in body["procesos"]}
    assert set(procesos) == {os.getpid(), 2}
    assert procesos[os.getpid()]["sockets"] == body["sockets"] == 1
    assert procesos[os.getpid()]["nodo"] == body["nodo"]
    assert procesos[2]["sockets"] == 5 and procesos[2]["mensajes_por_minuto"][-1] == 7
    assert all(p["publicado"].endswith("Z") for p in body["procesos"])


def test_a_process_that_stops_publishing_drops_off(app, cookie_client, fleet_channel):
    """A killed process says no goodbye: its key expires (TTL) and it leaves the list."""
    url, channel = fleet_channel
    get_operations(app).fleet = Fleet(url, channel, ident="este:1")
    other_process(url, channel, "muerto:3", nodo=3, ttl=1)
    agent = cookie_client("admin")
    assert "muerto" in [p["proceso"]["host"] for p in figures(agent)["procesos"]]
    deadline = time.monotonic() + 10
    while "muerto" in [p["proceso"]["host"] for p in figures(agent)["procesos"]]:
        assert time.monotonic() < deadline, "the key did not expire"
        time.sleep(0.2)
    assert len(figures(agent)["procesos"]) == 1


def test_redis_down_leaves_the_local_figures(app, cookie_client):
    """Without Redis the page still gets this process's figures; the others are unknown (null)."""
    get_operations(app).fleet = Fleet(f"redis://127.0.0.1:{free_port()}/0", "soporte")
    body = figures(cookie_client("admin"))
    assert body["procesos"] is None and body["sockets"] == 0


def test_without_redis_there_is_no_list(cookie_client):
    assert "procesos" not in figures(cookie_client("admin"))
