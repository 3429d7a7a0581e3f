"""Private notes (docs/protocol.md "Notas internas"): nota_interna, nota_creada, and every path a note
may and may not take, with Flask-SocketIO's test client and the REST test client, on SQLite or MariaDB.

The wire (real server, python-socketio clients) is tests/test_notes_live.py; the page is
tests/browser/test_notes.py.
"""
import csv
import io
import json

import pytest
from sqlalchemy import func, select

from soporte.extensions import db
from soporte.models import Conversacion, Mensaje, Nota
from soporte.protocol import AGENTS_ONLY
from test_api import add_messages, get_json
from test_events import events

SECRET = "NOTA-SECRETA-zq81 el cliente no debe leer esto"


def note(sio, con, texto, cid=None):
    """Emit nota_interna and return its acknowledgement."""
    payload = {"con": con, "texto": texto}
    if cid is not None:
        payload["cid"] = cid
    return sio.emit("nota_interna", payload, callback=True)


def stored_notes(app):
    """Every stored note as (conversacion, autor, texto, cid), oldest first."""
    with app.app_context():
        rows = db.session.execute(select(Nota.conversacion, Nota.autor, Nota.texto, Nota.cid).order_by(Nota.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def conversation_row(app, customer):
    """The conversation's stored row as a dict of its columns, or None."""
    with app.app_context():
        row = db.session.get(Conversacion, customer)
        found = None if row is None else {c.name: getattr(row, c.name) for c in Conversacion.__table__.columns}
        db.session.remove()
    return found


@pytest.fixture
def team(connect):
    """admin on two sockets, agente2, and the customers ana and bob."""
    return {"admin": connect("admin"), "admin_tab2": connect("admin"), "agente2": connect("agente2"),
            "ana": connect("ana"), "bob": connect("bob")}


def drain_all(team):
    for sio in team.values():
        sio.get_received()


# --- the event ----------------------------------------------------------------------------

def test_a_note_is_stored_and_every_other_agent_socket_hears_of_it(app, team):
    """The ack has ok, id and fecha; the other agents' sockets get nota_creada; no customer gets anything."""
    drain_all(team)
    ack = note(team["admin"], "ana", SECRET, cid="n-1")
    assert set(ack) == {"ok", "id", "fecha"} and ack["ok"] is True and isinstance(ack["id"], int)
    expected = {"id": ack["id"], "con": "ana", "autor": "admin", "nombre": "Admin", "texto": SECRET,
                "fecha": ack["fecha"]}
    assert events(team["agente2"]) == [("nota_creada", expected)]
    assert events(team["admin_tab2"]) == [("nota_creada", expected)]  # the author's other tab
    assert events(team["admin"]) == []  # the sending socket has its ack
    assert events(team["ana"]) == [] and events(team["bob"]) == []
    assert stored_notes(app) == [("ana", "admin", SECRET, "n-1")]
    assert message_total(app) == 0  # not a message


def message_total(app):
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Mensaje))
        db.session.remove()
    return total


def test_a_retried_cid_is_stored_once_and_answered_with_the_first_ack(app, team):
    """The same cid again (a lost ack): the first note's ack, no second row, no second event."""
    first = note(team["admin"], "ana", "primera", cid="repetida")
    drain_all(team)
    again = note(team["admin"], "ana", "primera", cid="repetida")
    assert again == first
    assert events(team["agente2"]) == []
    # another agent may use the same cid: cids are per author
    other = note(team["agente2"], "ana", "de otro agente", cid="repetida")
    assert other["ok"] and other["id"] != first["id"]
    assert stored_notes(app) == [("ana", "admin", "primera", "repetida"), ("ana", "agente2", "de otro agente", "repetida")]


@pytest.mark.parametrize("payload, error", [
    ("texto suelto", "La nota debe ser un objeto {con, texto}"),
    ({"texto": "hola"}, "Falta la conversación (con)"),
    ({"con": "", "texto": "hola"}, "Falta la conversación (con)"),
    ({"con": "a" * 65, "texto": "hola"}, "Falta la conversación (con)"),
    ({"con": "ana"}, "La nota debe ser texto"),
    ({"con": "ana", "texto": 5}, "La nota debe ser texto"),
    ({"con": "ana", "texto": "   \n "}, "La nota está vacía"),
    ({"con": "ana", "texto": "x", "cid": ""}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"con": "ana", "texto": "x", "cid": 7}, "cid debe ser texto de 1 a 64 caracteres"),
    ({"con": "ana", "texto": "roto \ud800"}, "La nota contiene caracteres no válidos"),
    ({"con": "nadie", "texto": "hola"}, "No existe el usuario nadie"),
    ({"con": "agente2", "texto": "hola"}, "No existe el usuario agente2"),  # an agent is no conversation
    ({"con": "soporte", "texto": "hola"}, "No existe el usuario soporte"),
])
def test_refusals(app, team, payload, error):
    """Each bad payload is refused with its reason; nothing is stored, nobody hears of it."""
    drain_all(team)
    assert team["admin"].emit("nota_interna", payload, callback=True) == {"ok": False, "error": error}
    assert stored_notes(app) == []
    assert events(team["agente2"]) == []


def test_too_long_is_refused_and_the_limit_itself_is_taken(app, team):
    """MAX_MESSAGE_LENGTH characters (code points, as messages) are a note; one more is refused."""
    limit = app.config["MAX_MESSAGE_LENGTH"]
    assert note(team["admin"], "ana", "😀" * (limit + 1)) == {
        "ok": False, "error": f"La nota supera los {limit} caracteres"}
    assert note(team["admin"], "ana", "😀" * limit)["ok"]
    assert len(stored_notes(app)) == 1


def test_customers_cannot_write_notes(app, team):
    """A customer's nota_interna is refused (agents only), even about themself; nothing is stored or sent."""
    drain_all(team)
    for con in ("ana", "bob"):
        assert note(team["ana"], con, SECRET) == {"ok": False, "error": AGENTS_ONLY}
    assert stored_notes(app) == []
    assert all(events(sio) == [] for sio in team.values())


def test_a_note_does_not_end_the_wait_nor_count_as_activity(app, team, cookie_client):
    """The conversation row (latest id, the customer's wait, status, assignee) is as before the note."""
    (customer_id,) = add_messages(app, ("ana", "admin", "¿me ayudáis?"))
    with app.app_context():  # the customer waits since that message (the writer's upkeep, set here by hand)
        db.session.get(Conversacion, "ana").esperando_id = customer_id
        db.session.commit()
        db.session.remove()
    before = conversation_row(app, "ana")
    listed = get_json(cookie_client("admin"), "/api/conversaciones")
    unread = get_json(cookie_client("agente2"), "/api/lecturas")
    assert note(team["admin"], "ana", SECRET)["ok"]
    assert app.extensions["soporte"].writer.flush(10)
    after = conversation_row(app, "ana")
    assert after == before
    assert after["ultimo_id"] == customer_id and after["esperando_id"] == customer_id
    assert get_json(cookie_client("admin"), "/api/conversaciones") == listed
    assert get_json(cookie_client("agente2"), "/api/lecturas") == unread  # a note is nobody's unread message
    assert conversation_row(app, "bob") is None  # a note makes no conversation either
    assert note(team["admin"], "bob", "nota sobre bob")["ok"]
    assert conversation_row(app, "bob") is None


# --- the agents' history --------------------------------------------------------------------

def interleaved(app, team, n=12):
    """n items alternating message, note, message, ... in ana's conversation; [(id, is_note)] in id order."""
    items = []
    for i in range(n):
        if i % 2:
            items.append((note(team["admin"], "ana", f"nota {i}")["id"], True))
        else:
            items.append((add_messages(app, ("ana", "admin", f"mensaje {i}"))[0], False))
    return items


def test_agents_history_has_notes_only_when_asked(app, team, cookie_client):
    """Without notas=1 the agents' route is as before; with it, notes come marked, in id order."""
    items = interleaved(app, team, 4)
    admin = cookie_client("admin")
    plain = get_json(admin, "/api/mensajes?con=ana")
    assert [m["id"] for m in plain] == [i for i, is_note in items if not is_note]
    assert all("nota" not in m for m in plain)
    with_notes = get_json(admin, "/api/mensajes?con=ana&notas=1")
    assert [(m["id"], m.get("nota", False)) for m in with_notes] == items
    first_note = with_notes[1]
    assert first_note == {"id": items[1][0], "nota": True, "de_usuario": "admin", "de_nombre": "Admin",
                          "mensaje": "nota 1", "fecha": first_note["fecha"]}
    assert get_json(admin, "/api/mensajes?con=ana&notas=0") == plain
    assert get_json(admin, "/api/mensajes?con=ana&notas=si", status=400) == {"error": "notas debe ser 0 o 1"}


def test_own_notes_carry_their_cid_in_history(app, team, cookie_client):
    """As with messages: the author's notes carry their cid (a page recognises a note whose ack was lost)."""
    ack = note(team["admin"], "ana", "con cid", cid="mio-1")
    mine = get_json(cookie_client("admin"), "/api/mensajes?con=ana&notas=1")
    theirs = get_json(cookie_client("agente2"), "/api/mensajes?con=ana&notas=1")
    assert mine[0]["id"] == ack["id"] and mine[0]["cid"] == "mio-1"
    assert "cid" not in theirs[0]


@pytest.mark.parametrize("limite", [1, 2, 3, 5])
def test_paging_is_exact_with_notes_interleaved(app, team, cookie_client, limite):
    """antes pages back and despues pages forward through messages and notes alike, each item once."""
    items = interleaved(app, team, 11)
    ids = [i for i, _ in items]
    admin = cookie_client("admin")
    url = f"/api/mensajes?con=ana&notas=1&limite={limite}"
    assert [m["id"] for m in get_json(admin, url)] == ids[-limite:]
    back, antes = [], None
    while True:
        page = get_json(admin, url + (f"&antes={antes}" if antes else ""))
        back = [m["id"] for m in page] + back
        if len(page) < limite:
            break
        antes = page[0]["id"]
    assert back == ids
    forward, despues = [], 0
    while True:
        page = get_json(admin, url + f"&despues={despues}")
        forward += [m["id"] for m in page]
        if len(page) < limite:
            break
        despues = page[-1]["id"]
    assert forward == ids
    between = get_json(admin, f"/api/mensajes?con=ana&notas=1&despues={ids[2]}&antes={ids[8]}&limite=500")
    assert [m["id"] for m in between] == ids[3:8]


def test_the_page_around_a_message_has_the_notes_around_it(app, team, cookie_client):
    """alrededor (opening a search result) with notas=1: the limite items centred on it, notes included."""
    items = interleaved(app, team, 9)
    ids = [i for i, _ in items]
    page = get_json(cookie_client("admin"), f"/api/mensajes?con=ana&notas=1&alrededor={ids[4]}&limite=4")
    assert [m["id"] for m in page] == ids[3:7]
    assert [m.get("nota", False) for m in page] == [True, False, True, False]


# --- every customer path --------------------------------------------------------------------

def test_the_customer_history_never_has_notes(app, team, cookie_client):
    """/api/mensajes/mios, whatever it is asked (notas=1, despues catch-up, antes, alrededor), has no note."""
    items = interleaved(app, team, 6)
    assert note(team["agente2"], "ana", SECRET)["ok"]
    ana = cookie_client("ana")
    messages = [i for i, is_note in items if not is_note]
    for query in ("", "?notas=1", "?despues=0", "?despues=0&notas=1", f"?despues={items[0][0]}&notas=1",
                  f"?antes={items[-1][0] + 10**9}&notas=1", f"?alrededor={items[1][0]}&notas=1", "?limite=500"):
        response = ana.get("/api/mensajes/mios" + query)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert SECRET not in body and "nota" not in body, query
        assert all(m["id"] in messages for m in response.get_json())
    # the agents' routes stay agents': 403 for the customer
    for route in ("/api/mensajes?con=ana&notas=1", "/api/mensajes/exportar?con=ana&notas=1",
                  "/api/buscar?q=SECRETA"):
        response = ana.get(route)
        assert response.status_code == 403 and SECRET not in response.get_data(as_text=True)


def test_the_customer_socket_never_hears_of_notes(app, team):
    """Notes about ana and bob, by either agent: neither customer's socket receives any event."""
    drain_all(team)
    for author in ("admin", "agente2"):
        for con in ("ana", "bob"):
            assert note(team[author], con, SECRET)["ok"]
    assert events(team["ana"]) == [] and events(team["bob"]) == []
    assert len([e for e in events(team["agente2"]) if e[0] == "nota_creada"]) == 2  # the admin's two


def test_export_has_notes_only_when_an_agent_asks(app, team, cookie_client):
    """The transcript (what may go to the customer) has no note; notas=1 adds them, marked, in id order."""
    items = interleaved(app, team, 4)
    assert note(team["admin"], "ana", SECRET)["ok"]
    admin = cookie_client("admin")
    for formato in ("csv", "json"):
        body = admin.get(f"/api/mensajes/exportar?con=ana&formato={formato}").get_data(as_text=True)
        assert SECRET not in body and "nota 1" not in body
    rows = list(csv.reader(io.StringIO(
        admin.get("/api/mensajes/exportar?con=ana&formato=csv&notas=1").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["fecha", "de", "para", "mensaje", "id", "nota"]
    assert [(int(r[4]), r[5]) for r in rows[1:]] == [(i, "1" if n else "0") for i, n in items] + [
        (int(rows[-1][4]), "1")]
    assert rows[-1][3] == SECRET and rows[-1][2] == "" and rows[2][1] == "admin"
    document = json.loads(admin.get("/api/mensajes/exportar?con=ana&formato=json&notas=1").get_data(as_text=True))
    assert [m.get("nota", False) for m in document["mensajes"]] == [n for _, n in items] + [True]
    assert document["mensajes"][-1]["mensaje"] == SECRET and document["mensajes"][-1]["de_nombre"] == "Admin"
    assert admin.get("/api/mensajes/exportar?con=ana&notas=2").status_code == 400


def test_search_finds_notes_only_for_agents_who_ask(app, team, cookie_client):
    """Customers cannot search at all; an agent's search has no note among the messages, and with
    notas=1 a group of its own, each marked, case and accents ignored, newest first."""
    add_messages(app, ("ana", "admin", "mensaje visible"))
    first = note(team["admin"], "ana", SECRET)
    second = note(team["agente2"], "bob", "Otra nota secreta: canción de cuna")
    admin = cookie_client("admin")
    plain = get_json(admin, "/api/buscar?q=SECRETA")
    assert plain == {"usuarios": [], "mensajes": []}  # the answer as before: no notes, no new key
    assert get_json(admin, "/api/buscar?q=visible")["mensajes"][0]["mensaje"] == "mensaje visible"
    found = get_json(admin, "/api/buscar?q=secreta&notas=1")
    assert found["mensajes"] == []
    assert [(n["id"], n["conversacion"], n["nota"], n["de_nombre"]) for n in found["notas"]] == [
        (second["id"], "bob", True, "Agente2"), (first["id"], "ana", True, "Admin")]
    assert [n["id"] for n in get_json(admin, "/api/buscar?q=CANCION%20secr&notas=1")["notas"]] == [second["id"]]
    assert get_json(admin, "/api/buscar?q=cliente%20cuna&notas=1")["notas"] == []  # every word must be there
    assert get_json(admin, "/api/buscar?q=%25%25&notas=1")["notas"] == []  # no words: nothing, not everything
    assert get_json(admin, "/api/buscar?q=secreta&notas=1&limite=1")["notas"][0]["id"] == second["id"]
    assert get_json(admin, "/api/buscar?q=secreta&notas=x", status=400) == {"error": "notas debe ser 0 o 1"}
    ana = cookie_client("ana")
    response = ana.get("/api/buscar?q=secreta&notas=1")
    assert response.status_code == 403 and "secreta" not in response.get_data(as_text=True).lower()


def test_a_database_failure_is_refused_as_not_saved(app, team):
    """The notes table gone (the database failing): the clear refusal, nothing announced, no trace."""
    drain_all(team)
    with app.app_context():
        db.session.remove()  # an open read would hold MariaDB's metadata lock
        Nota.__table__.drop(db.engine)
    try:
        ack = note(team["admin"], "ana", SECRET, cid="sin-tabla")
        assert ack == {"ok": False, "error": "No se pudo guardar la nota; inténtalo de nuevo"}
        assert events(team["agente2"]) == []
    finally:
        with app.app_context():
            db.session.remove()
            Nota.__table__.create(db.engine)
    assert note(team["admin"], "ana", SECRET, cid="sin-tabla")["ok"]  # the retry, once the database is back
    assert stored_notes(app) == [("ana", "admin", SECRET, "sin-tabla")]
