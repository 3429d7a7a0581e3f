"""Read markers across two real processes sharing Redis, and across a restart."""

import pytest

from conftest import LiveServer, drain, live_socket

REDIS_DB = 11


@pytest.fixture
def two_servers(redis_servers):
    """Two soporte processes on one database and one Redis channel (unique to this test)."""
    return redis_servers(2, REDIS_DB)


def named(events, name):
    return [payload for event, payload in events if event == name]


def test_a_mark_on_one_process_reaches_the_agents_tabs_and_the_customer_on_the_other(app, tmp_path, two_servers):
    """admin marks on A: its tab on B gets `leido`, ana on B gets `visto`, agente2 nothing; it outlives a restart."""
    a, b = two_servers
    ana_a, ana_b = live_socket(a, "ana"), live_socket(b, "ana")
    admin_a, admin_b = live_socket(a, "admin"), live_socket(b, "admin")
    agente2_b = live_socket(b, "agente2")
    clients = (ana_a, ana_b, admin_a, admin_b, agente2_b)
    try:
        ids = [ana_a.call("mensaje_privado", {"para": "admin", "mensaje": f"m{n}"})["id"] for n in range(2)]
        for client in clients:
            drain(client)
        ack = admin_a.call("marcar_leido", {"con": "ana", "hasta": ids[0]})
        assert ack == {"ok": True, "hasta": ids[0], "sin_leer": 1, "ultimo": ids[1]}
        state = {"con": "ana", "hasta": ids[0], "sin_leer": 1, "ultimo": ids[1]}
        assert named(drain(admin_b), "leido") == [state]
        assert named(drain(admin_a), "leido") == [state]
        assert named(drain(ana_b), "visto") == [{"hasta": ids[0]}]
        assert drain(agente2_b) == []
        # the counts agree on the other process, for the agent and not for the other one
        assert admin_b.http.get(b.url + "/api/lecturas").json() == {
            "ana": {"leido_hasta": ids[0], "sin_leer": 1, "ultimo": ids[1]}}
        assert agente2_b.http.get(b.url + "/api/lecturas").json()["ana"]["sin_leer"] == 2
        # all read on A, then marked unread on B: the tab on A hears of both
        admin_a.call("marcar_leido", {"con": "ana", "hasta": ids[1]})
        drain(admin_a), drain(admin_b)
        assert admin_b.call("marcar_no_leido", {"con": "ana"})["hasta"] == ids[1] - 1
        assert named(drain(admin_a), "leido") == [{"con": "ana", "hasta": ids[1] - 1, "sin_leer": 1, "ultimo": ids[1]}]
    finally:
        for client in clients:
            client.disconnect()
    for server in two_servers:
        server.stop()
    again = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]).start()
    try:
        http = again.login("admin")
        assert http.get(again.url + "/api/lecturas").json() == {
            "ana": {"leido_hasta": ids[1] - 1, "sin_leer": 1, "ultimo": ids[1]}}
        assert again.login("ana").get(again.url + "/api/visto").json() == {"hasta": ids[1] - 1}
    finally:
        again.stop()
