"""Private notes on the wire: a real server process (gunicorn, real websockets), python-socketio clients
for two agents and a customer, and the customer's every HTTP path, on SQLite or MariaDB.

A note's unique text must never reach the customer: not on the socket, not in /api/mensajes/mios
(latest page, despues catch-up, antes, alrededor, notas=1), not in the page, and not through the
agents' routes (export, search, the agents' history), which answer the customer 403.
"""
import queue
import signal
import time
import uuid

import pytest
import requests

from conftest import LiveServer, checker_app
from soporte.extensions import db
from soporte.models import Conversacion, Nota
from soporte.protocol import AGENTS_ONLY
from test_e2e import Peer


@pytest.fixture(scope="module")
def server_app(tmp_path_factory):
    """The test database with the usual accounts, for the server and for checking what it stored."""
    with checker_app(tmp_path_factory.mktemp("notes-live")) as app:
        yield app


@pytest.fixture(scope="module")
def server(server_app):
    live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"])
    live.start()
    yield live
    live.stop(signal.SIGQUIT)


@pytest.fixture
def team(server, customer):
    """Connected Peers: agents admin and agente2, and the test's customer."""
    peers = {}
    for name in ("admin", "agente2", customer):
        peers[name] = Peer().connect(server, token=server.login(name).cookies["token"])
    yield peers
    for peer in peers.values():
        peer.close()


def nota(peer, con, texto, cid=None):
    """Send nota_interna and return the acknowledgement."""
    payload = {"con": con, "texto": texto, **({"cid": cid} if cid else {})}
    return peer.client.call("nota_interna", payload, timeout=10)


def unique_text():
    return f"NOTA-INTERNA-{uuid.uuid4().hex} no para el cliente"


def notes_of(app, con):
    with app.app_context():
        rows = db.session.execute(db.select(Nota.autor, Nota.texto, Nota.cid).where(Nota.conversacion == con)
                                  .order_by(Nota.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def conversation_row(app, con):
    with app.app_context():
        row = db.session.get(Conversacion, con)
        found = None if row is None else {c.name: getattr(row, c.name) for c in Conversacion.__table__.columns}
        db.session.remove()
    return found


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def test_a_note_reaches_the_other_agent_and_never_the_customer(server, server_app, team, customer):
    """admin's note: agente2 gets nota_creada with it; the customer gets no event at all."""
    secret = unique_text()
    ack = nota(team["admin"], customer, secret, cid="wire-1")
    assert ack["ok"] is True and set(ack) == {"ok", "id", "fecha"}
    event = team["agente2"].receive()
    assert event == ("nota_creada", {"id": ack["id"], "con": customer, "autor": "admin", "nombre": "Admin",
                                     "texto": secret, "fecha": ack["fecha"]})
    assert team[customer].nothing_more()
    assert team["admin"].nothing_more()  # the sender has its ack
    # a retry of the same cid (a lost ack): the first ack, stored once, announced once
    assert nota(team["admin"], customer, secret, cid="wire-1") == ack
    assert team["agente2"].nothing_more()
    assert notes_of(server_app, customer) == [("admin", secret, "wire-1")]


def test_refusals_on_the_wire(server, server_app, team, customer):
    """The customer may not write a note; empty, too long and unknown conversations are refused."""
    assert nota(team[customer], customer, "soy cliente") == {"ok": False, "error": AGENTS_ONLY}
    assert nota(team["admin"], customer, "  ") == {"ok": False, "error": "La nota está vacía"}
    limit = 2000  # the server's MAX_MESSAGE_LENGTH default
    assert nota(team["admin"], customer, "x" * (limit + 1)) == {
        "ok": False, "error": f"La nota supera los {limit} caracteres"}
    assert nota(team["admin"], "no-existe-" + customer, "hola") == {
        "ok": False, "error": f"No existe el usuario no-existe-{customer}"}
    assert nota(team["admin"], "agente2", "hola") == {"ok": False, "error": "No existe el usuario agente2"}
    assert notes_of(server_app, customer) == []
    for peer in team.values():
        assert peer.nothing_more()


def test_every_customer_path_is_free_of_notes(server, server_app, team, customer):
    """Messages and notes interleaved; the customer's socket, history (every way of asking), page,
    and the agents' routes tried by the customer never show a note's text."""
    secret = unique_text()
    http = server.login(customer)
    ids = []
    for i in range(3):
        ack = team[customer].client.call("mensaje_privado", {"para": "admin", "mensaje": f"pregunta {i}"},
                                         timeout=10)
        ids.append(ack["id"])
        assert nota(team["admin" if i % 2 else "agente2"], customer, f"{secret} #{i}")["ok"]
    reply = team["admin"].client.call("mensaje_privado", {"para": customer, "mensaje": "respuesta"}, timeout=10)
    ids.append(reply["id"])
    # the socket: the customer got the agent's reply, and nothing of the notes
    received = []
    while True:
        try:
            received.append(team[customer].receive(timeout=0.5))
        except queue.Empty:  # quiet
            break
    assert ("mensaje_recibido", "respuesta") in [(name, data.get("mensaje")) for name, data in received]
    assert secret not in repr(received) and "nota_creada" not in [name for name, _ in received]
    # the customer's history, every way it can be asked
    base = server.url + "/api/mensajes/mios"
    queries = ["", "?notas=1", "?despues=0", "?despues=0&notas=1", f"?despues={ids[0]}&notas=1",
               f"?antes={ids[-1] + 1}&notas=1", f"?alrededor={ids[1]}&notas=1", "?limite=500&notas=1"]
    for query in queries:
        response = http.get(base + query, timeout=5)
        assert response.status_code == 200, query
        assert secret not in response.text and '"nota"' not in response.text, query
        assert {m["id"] for m in response.json()} <= set(ids), query
    assert [m["id"] for m in http.get(base + "?notas=1", timeout=5).json()] == ids
    # the page itself
    page = http.get(server.url + "/soporte", timeout=5)
    assert page.status_code == 200 and secret not in page.text
    # the agents' routes: the customer is refused, and learns nothing
    for route in (f"/api/mensajes?con={customer}&notas=1", f"/api/mensajes/exportar?con={customer}&notas=1",
                  f"/api/mensajes/exportar?con={customer}&formato=json&notas=1", "/api/buscar?q=NOTA-INTERNA"):
        response = http.get(server.url + route, timeout=5)
        assert response.status_code == 403, route
        assert secret not in response.text
    # the agents see them: in their history when asked, marked, in id order with the messages
    agent = server.login("agente2")
    with_notes = agent.get(server.url + f"/api/mensajes?con={customer}&notas=1", timeout=5).json()
    assert [m.get("nota", False) for m in with_notes] == [False, True, False, True, False, True, False]
    assert [m["id"] for m in with_notes if not m.get("nota")] == ids
    assert secret not in agent.get(server.url + f"/api/mensajes?con={customer}", timeout=5).text
    # an agent's transcript (what may be sent to the customer) has none unless asked for
    assert secret not in agent.get(server.url + f"/api/mensajes/exportar?con={customer}", timeout=5).text
    assert secret in agent.get(server.url + f"/api/mensajes/exportar?con={customer}&notas=1", timeout=5).text
    assert agent.get(server.url + "/api/buscar?q=NOTA-INTERNA", timeout=5).json()["mensajes"] == []


def test_a_note_is_not_the_reply_that_ends_the_wait(server, server_app, team, customer):
    """After the customer writes, an agent's note leaves the conversation row as it was (latest id,
    the customer's wait, status, assignee): only a message is a reply."""
    ack = team[customer].client.call("mensaje_privado", {"para": "admin", "mensaje": "¿hola?"}, timeout=10)
    assert ack["ok"]
    before = wait_for(lambda: (row := conversation_row(server_app, customer)) and row["ultimo_id"] == ack["id"]
                      and row)
    assert nota(team["admin"], customer, unique_text())["ok"]
    time.sleep(0.5)  # twice the writer's interval: a note that went through it would be stored by now
    after = conversation_row(server_app, customer)
    assert after == before
    assert after["ultimo_id"] == ack["id"]
    assert after["esperando_id"] == before["esperando_id"]
    agent = server.login("admin")
    listed = {c["usuario"]: c for c in agent.get(server.url + "/api/conversaciones", timeout=5).json()}
    assert listed[customer]["ultimo_id"] == ack["id"]


def test_a_customer_cannot_see_the_notes_by_asking_an_agent_route_without_login(server, customer):
    """No login at all: the agents' history with notas=1 is 401, and says nothing of notes."""
    response = requests.get(server.url + f"/api/mensajes?con={customer}&notas=1", timeout=5)
    assert response.status_code == 401

