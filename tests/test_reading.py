"""Read markers (marcar_leido, marcar_no_leido, `leido`, `visto`, /api/lecturas, /api/visto)
and agents' notification preferences (/api/preferencias), on SQLite and MariaDB."""
import re

import pytest
from sqlalchemy import event, insert, select, text

from conftest import stored_messages
from soporte.inbox import reading
from soporte.extensions import db
from soporte.relay.ids import MAX_NODE, IdGenerator
from soporte.models import Conversacion, Lectura, Mensaje, Usuario

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def send(sio, para, mensaje):
    """Send a message and return its id."""
    ack = sio.emit("mensaje_privado", {"para": para, "mensaje": mensaje}, callback=True)
    assert ack["ok"] is True, ack
    return ack["id"]


def mark(sio, con, hasta):
    return sio.emit("marcar_leido", {"con": con, "hasta": hasta}, callback=True)


def mark_unread(sio, con):
    return sio.emit("marcar_no_leido", {"con": con}, callback=True)


def received(sio, name):
    """The payloads of one event this socket received since the last call (others are dropped)."""
    return [e["args"][0] for e in sio.get_received() if e["name"] == name]


def markers(app):
    with app.app_context():
        found = {(r.agente, r.conversacion): r.ultimo_leido for r in db.session.scalars(select(Lectura))}
        db.session.remove()
        return found


@pytest.fixture
def ana_wrote(connect, app):
    """ana has written three messages to support, all stored; returns (ana's socket, their ids)."""
    ana = connect("ana")
    ids = [send(ana, "admin", f"pregunta {n}") for n in range(3)]
    stored_messages(app)
    ana.get_received()
    return ana, ids


def test_marker_moves_forward_only(app, connect, cookie_client, ana_wrote):
    """marcar_leido stores the marker; an older id leaves it where it is; the ack says what is left unread."""
    _, ids = ana_wrote
    admin = connect("admin")
    assert mark(admin, "ana", ids[1]) == {"ok": True, "hasta": ids[1], "sin_leer": 1, "ultimo": ids[2]}
    assert mark(admin, "ana", ids[0]) == {"ok": True, "hasta": ids[1], "sin_leer": 1, "ultimo": ids[2]}
    assert markers(app) == {("admin", "ana"): ids[1]}
    http = cookie_client("admin")
    assert http.get("/api/lecturas").get_json() == {"ana": {"leido_hasta": ids[1], "sin_leer": 1, "ultimo": ids[2]}}
    assert mark(admin, "ana", ids[2])["sin_leer"] == 0
    assert http.get("/api/lecturas").get_json() == {}  # only conversations with something unread


def test_leido_reaches_every_tab_of_that_agent_only(app, connect, cookie_client, ana_wrote):
    """Both tabs of the agent get `leido`; the other agent gets nothing and keeps everything unread."""
    ana, ids = ana_wrote
    tab1, tab2, other = connect("admin"), connect("admin"), connect("agente2")
    ack = mark(tab1, "ana", ids[2])
    state = {"con": "ana", "hasta": ids[2], "sin_leer": 0, "ultimo": ids[2]}
    assert ack == {"ok": True, **{k: v for k, v in state.items() if k != "con"}}
    assert received(tab1, "leido") == [state]
    assert received(tab2, "leido") == [state]
    assert received(other, "leido") == []
    assert received(ana, "leido") == []
    assert cookie_client("agente2").get("/api/lecturas").get_json() == {
        "ana": {"leido_hasta": 0, "sin_leer": 3, "ultimo": ids[2]}}
    # the same mark again moves nothing: no `leido` for the tabs
    assert mark(tab2, "ana", ids[2])["ok"] is True
    assert received(tab1, "leido") == [] and received(tab2, "leido") == []


def test_an_agents_own_messages_never_count(app, connect, cookie_client):
    """Unread counts the customer's and the other agents' messages, never the agent's own."""
    ana, admin, agente2 = connect("ana"), connect("admin"), connect("agente2")
    send(ana, "admin", "hola")
    send(admin, "ana", "hola, soy admin")
    send(agente2, "ana", "y yo agente2")
    last = send(ana, "admin", "gracias")
    stored_messages(app)
    assert cookie_client("admin").get("/api/lecturas").get_json()["ana"]["sin_leer"] == 3
    assert cookie_client("agente2").get("/api/lecturas").get_json()["ana"]["sin_leer"] == 3
    mark(admin, "ana", last)
    assert "ana" not in cookie_client("admin").get("/api/lecturas").get_json()
    # an agent's reply after reading: still nothing unread for that agent, one for the other
    send(admin, "ana", "de nada")
    stored_messages(app)
    assert "ana" not in cookie_client("admin").get("/api/lecturas").get_json()
    assert cookie_client("agente2").get("/api/lecturas").get_json()["ana"]["sin_leer"] == 4


def test_mark_unread_goes_back_before_the_customers_latest_message(app, connect, cookie_client, ana_wrote):
    """marcar_no_leido: the marker goes to just before ana's latest message, on every tab of the agent."""
    ana, ids = ana_wrote
    tab1, tab2 = connect("admin"), connect("admin")
    mark(tab1, "ana", ids[2])
    reply = send(tab1, "ana", "respuesta")  # the agent's own, after the customer's latest
    stored_messages(app)
    tab1.get_received(), tab2.get_received(), ana.get_received()
    ack = mark_unread(tab1, "ana")
    assert ack == {"ok": True, "hasta": ids[2] - 1, "sin_leer": 1, "ultimo": reply}
    expected = {"con": "ana", "hasta": ids[2] - 1, "sin_leer": 1, "ultimo": reply}
    assert received(tab1, "leido") == [expected] and received(tab2, "leido") == [expected]
    assert received(ana, "visto") == []  # "visto" never goes back live
    assert cookie_client("admin").get("/api/lecturas").get_json() == {
        "ana": {"leido_hasta": ids[2] - 1, "sin_leer": 1, "ultimo": reply}}
    # and only back: with less read, marking unread keeps the marker
    mark(tab1, "ana", ids[0])  # forward-only: still ids[2] - 1
    assert mark_unread(tab1, "ana")["hasta"] == ids[2] - 1


def test_mark_unread_without_a_marker_or_messages(app, connect, ana_wrote):
    """An agent who never read keeps no marker (all unread); a conversation without messages is refused."""
    _, ids = ana_wrote
    admin = connect("admin")
    assert mark_unread(admin, "ana") == {"ok": True, "hasta": 0, "sin_leer": 3, "ultimo": ids[2]}
    assert markers(app) == {}
    assert mark_unread(admin, "bob") == {"ok": False, "error": "No hay mensajes que marcar como no leídos"}


def test_visto_reaches_the_customer_when_it_grows(app, connect, client, cookie_client, ana_wrote):
    """`visto` goes to the customer's tabs when the largest marker grows, and GET /api/visto says it."""
    ana, ids = ana_wrote
    ana2, bob = connect("ana"), connect("bob")
    admin, agente2 = connect("admin"), connect("agente2")
    assert cookie_client("ana").get("/api/visto").get_json() == {"hasta": None}
    mark(admin, "ana", ids[1])
    assert received(ana, "visto") == [{"hasta": ids[1]}] and received(ana2, "visto") == [{"hasta": ids[1]}]
    assert received(bob, "visto") == [] and received(admin, "visto") == []
    mark(agente2, "ana", ids[0])  # behind what admin read: nothing new for ana
    assert received(ana, "visto") == []
    mark(agente2, "ana", ids[2])
    assert received(ana, "visto") == [{"hasta": ids[2]}]
    assert cookie_client("ana").get("/api/visto").get_json() == {"hasta": ids[2]}
    assert cookie_client("bob").get("/api/visto").get_json() == {"hasta": None}
    assert client.get("/api/visto").status_code == 401


@pytest.mark.parametrize("payload, error", [
    ("ana", "Se esperaba un objeto {con, hasta}"),
    ({"hasta": 1}, "Falta la conversación (con)"),
    ({"con": "", "hasta": 1}, "Falta la conversación (con)"),
    ({"con": 5, "hasta": 1}, "Falta la conversación (con)"),
    ({"con": "x" * 65, "hasta": 1}, "Falta la conversación (con)"),
    ({"con": "nadie", "hasta": 1}, "No existe el usuario nadie"),
    ({"con": "agente2", "hasta": 1}, "No existe el usuario agente2"),
    ({"con": "ana"}, "hasta debe ser el id de un mensaje"),
    ({"con": "ana", "hasta": "1"}, "hasta debe ser el id de un mensaje"),
    ({"con": "ana", "hasta": True}, "hasta debe ser el id de un mensaje"),
    ({"con": "ana", "hasta": -1}, "hasta debe ser el id de un mensaje"),
    ({"con": "ana", "hasta": 1.5}, "hasta debe ser el id de un mensaje"),
    ({"con": "ana", "hasta": 2**63}, "hasta debe ser el id de un mensaje"),
])
def test_bad_marks_are_refused(app, connect, payload, error):
    """A malformed marcar_leido gets a clear refusal and stores nothing."""
    admin = connect("admin")
    assert admin.emit("marcar_leido", payload, callback=True) == {"ok": False, "error": error}
    assert markers(app) == {}


def test_only_agents_mark(app, connect, ana_wrote):
    """A customer's marcar_leido / marcar_no_leido is refused."""
    ana, ids = ana_wrote
    assert mark(ana, "ana", ids[2]) == {"ok": False, "error": "Solo para agentes de soporte"}
    assert mark_unread(ana, "ana") == {"ok": False, "error": "Solo para agentes de soporte"}
    assert markers(app) == {}


def test_a_marker_is_never_ahead_of_time(app, connect, ana_wrote):
    """An id from the future is cut to the newest id possible now: later messages stay unread."""
    ana, ids = ana_wrote
    admin = connect("admin")
    far = (1 << 53) - 1
    ack = mark(admin, "ana", far)
    assert ack["ok"] is True and ids[2] < ack["hasta"] < far
    later = IdGenerator(node=MAX_NODE).next()[0] + (60_000 << 12)  # a message a minute from now
    assert later > ack["hasta"]


def test_lecturas_counts_pending_rows_once(app, connect, cookie_client, ana_wrote):
    """Rows the writer has not stored are counted, and once only when they are stored meanwhile."""
    _, ids = ana_wrote
    admin = connect("admin")
    mark(admin, "ana", ids[2])
    writer = app.extensions["soporte"].writer
    generator = IdGenerator(node=MAX_NODE)
    rows = []
    for con in ("ana", "bob"):
        message_id, fecha = generator.next()
        rows.append({"id": message_id, "de_usuario": con, "para_usuario": "admin", "conversacion": con,
                     "mensaje": "aún en memoria", "fecha": fecha, "cid": None})
    for row in rows:
        writer.unstored[row["id"]] = row  # delivered, not yet stored
    try:
        http = cookie_client("admin")
        expected = {"ana": {"leido_hasta": ids[2], "sin_leer": 1, "ultimo": rows[0]["id"]},
                    "bob": {"leido_hasta": 0, "sin_leer": 1, "ultimo": rows[1]["id"]}}
        assert http.get("/api/lecturas").get_json() == expected
        with app.app_context():  # stored while still listed as pending: counted once
            db.session.execute(insert(Mensaje), rows)
            db.session.commit()
        assert http.get("/api/lecturas").get_json() == expected
        assert mark(admin, "bob", rows[1]["id"])["sin_leer"] == 0
    finally:
        for row in rows:
            writer.unstored.pop(row["id"], None)


def test_lecturas_and_visto_guards(app, client, cookie_client):
    """/api/lecturas is for agents; both need a login."""
    assert client.get("/api/lecturas").status_code == 401
    response = cookie_client("ana").get("/api/lecturas")
    assert response.status_code == 403 and response.get_json() == {"error": "Solo para agentes de soporte"}


def seed_many(app, conversations, unread):
    """`conversations` customers with 2 messages each (customer, then admin); admin has read all but `unread`."""
    generator = IdGenerator(node=MAX_NODE)
    messages, convs, reads, users = [], [], [], []
    for n in range(conversations):
        name = f"c{n:05d}"
        users.append({"usuario": name, "nombre": name, "rol": "user", "password_hash": "x"})
        first, fecha = generator.next()
        second, _ = generator.next()
        messages += [{"id": first, "de_usuario": name, "para_usuario": "admin", "conversacion": name,
                      "mensaje": "hola", "fecha": fecha, "cid": None},
                     {"id": second, "de_usuario": "agente2", "para_usuario": name, "conversacion": name,
                      "mensaje": "dime", "fecha": fecha, "cid": None}]
        convs.append({"usuario": name, "ultimo_id": second, "estado": "abierta"})
        reads.append({"agente": "admin", "conversacion": name, "ultimo_leido": first if name in unread else second})
    with app.app_context():
        for table, rows in ((Usuario, users), (Mensaje, messages), (Conversacion, convs), (Lectura, reads)):
            for start in range(0, len(rows), 2000):
                db.session.execute(insert(table), rows[start:start + 2000])
        db.session.commit()
    return messages


def test_lecturas_with_ten_thousand_conversations(app, cookie_client):
    """10,000 conversations, 3 unread: exactly those come back, counted over the conversation index."""
    unread = {"c00007", "c04242", "c09999"}
    messages = seed_many(app, 10_000, unread)
    by_id = {m["conversacion"]: m["id"] for m in messages if m["de_usuario"] == "agente2"}
    first = {m["conversacion"]: m["id"] for m in messages if m["de_usuario"] != "agente2"}
    assert cookie_client("admin").get("/api/lecturas").get_json() == {
        name: {"leido_hasta": first[name], "sin_leer": 1, "ultimo": by_id[name]} for name in unread}
    with app.app_context():
        plan = explain_count(db.session, first["c00007"])
    assert "ix_mensajes_conversacion_id" in plan, plan


def explain_count(session, marker):
    """The database's plan for the counting statement of /api/lecturas, as text."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "count(" in statement.lower():
            captured.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        reading.unread_counts("admin", {"c00007": marker}, [])
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = session.connection().connection.dbapi_connection.cursor()
    raw.execute(prefix + statement, parameters)
    return " ".join(str(cell) for row in raw.fetchall() for cell in row)


# --- preferences ---------------------------------------------------------------------------

def page_csrf(client):
    """The CSRF token the agent's page carries in its meta tag (for this client's session)."""
    return CSRF_META.search(client.get("/soporte").get_data(as_text=True)).group(1)


def test_preferences_default_off_then_saved(app, cookie_client):
    """GET says both switches are off at first; PUT with the page's token stores them."""
    http = cookie_client("admin")
    assert http.get("/api/preferencias").get_json() == {"sonido": False, "escritorio": False}
    token = page_csrf(http)
    response = http.put("/api/preferencias", json={"sonido": True}, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json() == {"sonido": True, "escritorio": False}
    response = http.put("/api/preferencias", json={"escritorio": True, "sonido": False},
                        headers={"X-CSRFToken": token})
    assert response.get_json() == {"sonido": False, "escritorio": True}
    assert cookie_client("admin").get("/api/preferencias").get_json() == {"sonido": False, "escritorio": True}
    assert cookie_client("agente2").get("/api/preferencias").get_json() == {"sonido": False, "escritorio": False}


@pytest.mark.parametrize("token", [None, "", "falso", "from another session"])
def test_preferences_need_the_csrf_token(app, cookie_client, token):
    """PUT without the page's own CSRF token: 400 JSON and nothing changed."""
    http = cookie_client("admin")
    page_csrf(http)
    if token == "from another session":
        token = page_csrf(cookie_client("admin"))
    headers = {} if token is None else {"X-CSRFToken": token}
    response = http.put("/api/preferencias", json={"sonido": True}, headers=headers)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Falta el token CSRF o no es válido; recarga la página"}
    assert http.get("/api/preferencias").get_json() == {"sonido": False, "escritorio": False}


@pytest.mark.parametrize("body, error", [
    ("sonido", "Se esperaba un objeto JSON con sonido y/o escritorio"),
    ([True], "Se esperaba un objeto JSON con sonido y/o escritorio"),
    ({}, "Se esperaba un objeto JSON con sonido y/o escritorio"),
    ({"sonido": "sí"}, "sonido debe ser true o false"),
    ({"escritorio": 1}, "escritorio debe ser true o false"),
    ({"sonido": True, "volumen": 3}, "Preferencia desconocida: volumen"),
])
def test_bad_preferences_are_400(app, cookie_client, body, error):
    """A malformed body: 400 with what is wrong, nothing stored."""
    http = cookie_client("admin")
    response = http.put("/api/preferencias", json=body, headers={"X-CSRFToken": page_csrf(http)})
    assert response.status_code == 400 and response.get_json() == {"error": error}
    assert http.get("/api/preferencias").get_json() == {"sonido": False, "escritorio": False}


def test_preferences_are_for_agents(app, client, cookie_client):
    """A customer gets 403 (even with a good token); nobody logged in, 401."""
    http = cookie_client("ana")
    token = page_csrf(http)
    assert http.get("/api/preferencias").status_code == 403
    assert http.put("/api/preferencias", json={"sonido": True}, headers={"X-CSRFToken": token}).status_code == 403
    assert client.get("/api/preferencias").status_code == 401
    with app.app_context():
        assert db.session.scalar(text("SELECT avisos_sonido FROM usuarios WHERE usuario = 'ana'")) in (0, False)
