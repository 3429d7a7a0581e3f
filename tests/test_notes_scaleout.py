"""Private notes across processes: two soporte processes on one database and one Redis channel."""
import uuid

from conftest import drain, live_socket


def unique_text():
    return f"NOTA-INTERNA-{uuid.uuid4().hex} no para el cliente"


def test_notes_reach_agents_on_every_process_and_no_customer(app, redis_servers):
    """Two processes on Redis: a note written on B reaches the agent on A (and the author's tab on A);
    the customers on either process hear nothing; every process reads it back for agents only."""
    a, b = redis_servers(2, 13)
    sockets = {"ana_a": live_socket(a, "ana"), "bob_b": live_socket(b, "bob"),
               "agente2_a": live_socket(a, "agente2"), "admin_a": live_socket(a, "admin"),
               "admin_b": live_socket(b, "admin")}
    try:
        for client in sockets.values():
            drain(client, 0.3)
        secret = unique_text()
        ack = sockets["admin_b"].call("nota_interna", {"con": "ana", "texto": secret, "cid": "redis-1"}, timeout=10)
        assert ack["ok"]
        expected = ["nota_creada", {"id": ack["id"], "con": "ana", "autor": "admin", "nombre": "Admin",
                                    "texto": secret, "fecha": ack["fecha"]}]
        assert sockets["agente2_a"].receive(timeout=5) == expected
        assert sockets["admin_a"].receive(timeout=5) == expected  # the author's tab on the other process
        assert drain(sockets["ana_a"]) == [] and drain(sockets["bob_b"]) == []
        assert drain(sockets["admin_b"]) == []  # the sending socket has the ack
        for server in (a, b):
            agent, customer = server.login("agente2"), server.login("ana")
            items = agent.get(server.url + "/api/mensajes?con=ana&notas=1", timeout=5).json()
            assert [(m["id"], m.get("nota")) for m in items] == [(ack["id"], True)]
            assert secret not in customer.get(server.url + "/api/mensajes/mios?notas=1", timeout=5).text
    finally:
        for client in sockets.values():
            client.disconnect()
