"""Labels and the customer's note on the wire: python-socketio clients of two agents and a customer, a real server."""
import re

from conftest import drain, live_socket

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def writer(client, server):
    """The agent's HTTP session with the page's CSRF token on every write."""
    token = CSRF_META.search(client.http.get(server.url + "/soporte").text).group(1)

    def write(method, path, body=None):
        return client.http.request(method, server.url + path, json=body, headers={"X-CSRFToken": token})

    return write


def named(events, name):
    return [data for event, data in events if event == name]


def test_a_label_put_on_by_one_agent_reaches_the_other(app, live_server):
    """Created, put on, taken off, deleted by admin: agente2 hears each; the customer hears nothing."""
    admin, agente2, ana = (live_socket(live_server, name) for name in ("admin", "agente2", "ana"))
    try:
        write = writer(admin, live_server)
        response = write("POST", "/api/etiquetas", {"nombre": "Facturación", "color": "#00838f"})
        assert response.status_code == 201, response.text
        label = response.json()
        assert named(drain(agente2), "etiquetas") == [{"etiquetas": [label]}]

        assert write("PUT", f"/api/conversaciones/ana/etiquetas/{label['id']}").status_code == 200
        assert named(drain(agente2), "etiquetas_conversacion") == [{"usuario": "ana", "etiquetas": [label["id"]]}]
        assert named(drain(admin), "etiquetas_conversacion") == [{"usuario": "ana", "etiquetas": [label["id"]]}]

        assert write("PATCH", f"/api/etiquetas/{label['id']}", {"color": "#c62828"}).status_code == 200
        assert named(drain(agente2), "etiquetas")[0]["etiquetas"][0]["color"] == "#c62828"

        # the other agent reads the same state over REST
        listed = agente2.http.get(live_server.url + "/api/conversaciones/ana/etiquetas").json()
        assert listed == {"usuario": "ana", "etiquetas": [label["id"]]}

        assert write("DELETE", f"/api/etiquetas/{label['id']}").json() == {"id": label["id"],
                                                                            "conversaciones": ["ana"]}
        assert named(drain(agente2), "etiquetas") == [{"etiquetas": []}]

        write("PUT", "/api/clientes/ana/nota", {"nota": "Llamar por la tarde"})
        notes = named(drain(agente2), "perfil_cliente")
        assert [n["nota"]["texto"] for n in notes] == ["Llamar por la tarde"] and notes[0]["usuario"] == "ana"

        assert drain(ana, timeout=0.2) == []  # none of it reaches a customer
    finally:
        for client in (admin, agente2, ana):
            client.disconnect()


def test_the_panel_says_who_is_online_on_a_real_server(app, live_server):
    """en_linea follows the customer's sockets (asked of presence, not re-counted)."""
    admin = live_socket(live_server, "admin")
    try:
        url = live_server.url + "/api/clientes/ana"
        assert admin.http.get(url).json()["en_linea"] is False
        ana = live_socket(live_server, "ana")
        assert admin.http.get(url).json()["en_linea"] is True
        ana.disconnect()
        drain(admin, timeout=0.3)
        assert admin.http.get(url).json()["en_linea"] is False
    finally:
        admin.disconnect()


def test_label_events_cross_processes_on_redis(app, redis_servers):
    """Two processes sharing Redis: a label put on through one reaches an agent connected to the other."""
    one, two = redis_servers(2, 3)
    admin, agente2 = live_socket(one, "admin"), live_socket(two, "agente2")
    try:
        write = writer(admin, one)
        label = write("POST", "/api/etiquetas", {"nombre": "VIP", "color": "#6a1b9a"}).json()
        write("PUT", f"/api/conversaciones/bob/etiquetas/{label['id']}")
        write("PUT", "/api/clientes/bob/nota", {"nota": "Habla catalán"})
        events = drain(agente2, timeout=1.0)
        assert named(events, "etiquetas") == [{"etiquetas": [label]}]
        assert named(events, "etiquetas_conversacion") == [{"usuario": "bob", "etiquetas": [label["id"]]}]
        assert [n["nota"]["texto"] for n in named(events, "perfil_cliente")] == ["Habla catalán"]
    finally:
        admin.disconnect()
        agente2.disconnect()
