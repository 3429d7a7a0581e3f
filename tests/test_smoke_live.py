"""A first check that the real server process starts and relays over a websocket."""
import socketio as socketio_client


def test_live_server_relays_over_websocket(live_server):
    """A customer and an agent logged in over HTTP exchange a message over real websockets."""
    ana = live_server.login("ana")
    admin = live_server.login("admin")
    received = []
    agent = socketio_client.SimpleClient()
    agent.connect(live_server.url, transports=["websocket"],
                  headers={"Cookie": f"token={admin.cookies['token']}"})
    customer = socketio_client.SimpleClient()
    customer.connect(live_server.url, transports=["websocket"],
                     headers={"Cookie": f"token={ana.cookies['token']}"})
    ack = customer.call("mensaje_privado", {"para": "admin", "mensaje": "hola"})
    assert ack["ok"] is True
    event = agent.receive(timeout=5)
    received.append(event)
    assert event[0] == "mensaje_recibido"
    assert event[1]["id"] == ack["id"] and event[1]["de"] == "ana"
    agent.disconnect()
    customer.disconnect()
