"""Editing and deleting one's own message (docs/protocol.md "Editar y borrar mensajes"): editar_mensaje,
borrar_mensaje, their events, the audit, and every path a deleted text must not take, on SQLite or MariaDB.

The real server with python-socketio clients is tests/test_edits_live.py; the page is tests/browser/test_edits.py.
"""
import csv
import io
import threading
import time

import pytest
from sqlalchemy import select, text

from soporte.extensions import db
from soporte.inbox import edits
from soporte.models import EdicionMensaje, Mensaje, Usuario
from soporte.protocol import EDIT_DELETED, EDIT_NOT_AUTHOR, EDIT_NOTE, EDIT_TOO_LATE, EDIT_UNKNOWN, NOT_YET_STORED
from soporte.relay.writer import store
from test_api import get_json, rows_for
from test_events import events, send
from conftest import stored_messages

SECRET = "TEXTO-BORRADO-kq73 no debe volver"


@pytest.fixture
def people(connect):
    """The customer ana on two tabs, bob, and the agents admin and agente2."""
    return {"ana": connect("ana"), "ana_tab2": connect("ana"), "bob": connect("bob"),
            "admin": connect("admin"), "agente2": connect("agente2")}


def drain(people):
    for sio in people.values():
        sio.get_received()


def sent(app, sio, para, mensaje, cid=None):
    """Send a message, wait until it is stored, and return its id."""
    payload = {"para": para, "mensaje": mensaje}
    if cid:
        payload["cid"] = cid
    ack = send(sio, payload)
    assert ack["ok"], ack
    stored_messages(app)
    return ack["id"]


def edit(sio, message_id, mensaje, cid=None):
    payload = {"id": message_id, "mensaje": mensaje}
    if cid:
        payload["cid"] = cid
    return sio.emit("editar_mensaje", payload, callback=True)


def delete(sio, message_id, cid=None):
    payload = {"id": message_id}
    if cid:
        payload["cid"] = cid
    return sio.emit("borrar_mensaje", payload, callback=True)


def audit_rows(app):
    with app.app_context():
        rows = db.session.execute(select(EdicionMensaje.mensaje_id, EdicionMensaje.accion,
                                         EdicionMensaje.texto_anterior, EdicionMensaje.por)
                                  .order_by(EdicionMensaje.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def named(received, name):
    return [payload for event, payload in received if event == name]


# --- editing ------------------------------------------------------------------------------

def test_the_author_edits_and_everyone_hears_it(app, people, cookie_client):
    """The ack has ok, id, editado_en; agents and the customer's tabs get mensaje_editado; history shows it."""
    message_id = sent(app, people["ana"], "admin", "Hola, tengo un problema")
    drain(people)
    ack = edit(people["ana"], message_id, "Hola,\ntengo un problema 🙂", cid="e-1")
    assert set(ack) == {"ok", "id", "editado_en"} and ack["ok"] is True and ack["id"] == message_id
    expected = {"id": message_id, "usuario": "ana", "mensaje": "Hola,\ntengo un problema 🙂",
                "editado_en": ack["editado_en"], "por": "ana"}
    for who in ("admin", "agente2", "ana_tab2", "ana"):
        assert named(events(people[who]), "mensaje_editado") == [expected], who
    assert events(people["bob"]) == []
    assert audit_rows(app) == [(message_id, "editar", "Hola, tengo un problema", "ana")]
    history = get_json(cookie_client("ana"), "/api/mensajes/mios")
    assert history[-1]["mensaje"] == "Hola,\ntengo un problema 🙂" and history[-1]["editado_en"] == ack["editado_en"]
    agents = get_json(cookie_client("admin"), "/api/mensajes?con=ana")
    assert agents[-1]["editado_en"] == ack["editado_en"]


def test_an_agent_edits_a_reply_and_the_customer_hears_it(app, people):
    message_id = sent(app, people["admin"], "ana", "Reinicia el router")
    drain(people)
    ack = edit(people["admin"], message_id, "Reinicia el módem")
    assert ack["ok"], ack
    assert named(events(people["ana"]), "mensaje_editado")[0]["mensaje"] == "Reinicia el módem"
    assert named(events(people["agente2"]), "mensaje_editado")[0]["por"] == "admin"
    assert events(people["bob"]) == []


def test_a_retried_cid_gets_its_first_ack_and_changes_once(app, people):
    message_id = sent(app, people["ana"], "admin", "uno")
    first = edit(people["ana"], message_id, "dos", cid="same")
    again = edit(people["ana"], message_id, "tres", cid="same")
    assert first["ok"] and again == first
    assert [row[2] for row in audit_rows(app)] == ["uno"]
    assert stored_messages(app)[-1]["mensaje"] == "dos"


def test_refusals(app, people):
    """Not the author, unknown id, a note, bad payloads, empty and too long text, an edit of a deleted one."""
    customers = sent(app, people["ana"], "admin", "mío")
    reply = sent(app, people["admin"], "ana", "del agente")
    assert edit(people["bob"], customers, "ajeno") == {"ok": False, "error": EDIT_NOT_AUTHOR}
    assert edit(people["admin"], customers, "ajeno") == {"ok": False, "error": EDIT_NOT_AUTHOR}
    assert delete(people["ana"], reply) == {"ok": False, "error": EDIT_NOT_AUTHOR}
    assert delete(people["agente2"], reply) == {"ok": False, "error": EDIT_NOT_AUTHOR}
    assert edit(people["ana"], customers + 12345, "x") == {"ok": False, "error": EDIT_UNKNOWN}
    note = people["admin"].emit("nota_interna", {"con": "ana", "texto": "nota"}, callback=True)
    assert edit(people["admin"], note["id"], "x") == {"ok": False, "error": EDIT_NOTE}
    assert delete(people["admin"], note["id"]) == {"ok": False, "error": EDIT_NOTE}
    for bad in (None, "x", {"id": "1"}, {"id": True}, {"id": 0}, {"id": 2**63}, {"id": customers, "cid": ""}):
        assert people["ana"].emit("editar_mensaje", bad, callback=True)["ok"] is False, bad
    assert edit(people["ana"], customers, "  \n ") == {"ok": False, "error": "El mensaje está vacío"}
    too_long = "é" * (app.config["MAX_MESSAGE_LENGTH"] + 1)
    assert edit(people["ana"], customers, too_long)["ok"] is False
    assert edit(people["ana"], customers, "😀" * app.config["MAX_MESSAGE_LENGTH"])["ok"] is True  # characters
    assert delete(people["ana"], customers)["ok"] is True
    assert edit(people["ana"], customers, "otra vez") == {"ok": False, "error": EDIT_DELETED}
    assert len(audit_rows(app)) == 2


def test_the_window(app, people):
    """Within EDIT_WINDOW a change is accepted; after it, refused; 0 means never."""
    app.config["EDIT_WINDOW"] = 1
    message_id = sent(app, people["ana"], "admin", "rápido")
    assert edit(people["ana"], message_id, "rápido, sí")["ok"] is True
    time.sleep(1.1)
    assert edit(people["ana"], message_id, "tarde") == {"ok": False, "error": EDIT_TOO_LATE}
    assert delete(people["ana"], message_id) == {"ok": False, "error": EDIT_TOO_LATE}
    app.config["EDIT_WINDOW"] = 0
    other = sent(app, people["ana"], "admin", "nunca")
    assert delete(people["ana"], other) == {"ok": False, "error": EDIT_TOO_LATE}


# --- deleting -----------------------------------------------------------------------------

def test_a_deleted_text_is_gone_from_every_customer_path(app, people, cookie_client):
    """Events, /mios, the despues catch-up, the agents' export and search, the FTS index: only the audit keeps it."""
    before = sent(app, people["admin"], "ana", "antes")
    message_id = sent(app, people["ana"], "admin", SECRET, cid="m-1")
    drain(people)
    ack = delete(people["ana"], message_id, cid="d-1")
    assert set(ack) == {"ok", "id", "eliminado_en"} and ack["id"] == message_id
    expected = {"id": message_id, "usuario": "ana", "eliminado_en": ack["eliminado_en"], "por": "ana"}
    for who in ("admin", "agente2", "ana_tab2", "ana"):
        assert named(events(people[who]), "mensaje_eliminado") == [expected], who
    assert delete(people["ana"], message_id, cid="d-2") == ack  # deleting twice is fine
    assert delete(people["ana"], message_id, cid="d-1") == ack
    ana, admin = cookie_client("ana"), cookie_client("admin")
    for url in ("/api/mensajes/mios", f"/api/mensajes/mios?despues={before}", f"/api/mensajes/mios?alrededor={message_id}"):
        page = get_json(ana, url)
        assert SECRET not in str(page)
        gone = [m for m in page if m["id"] == message_id]
        assert gone == [{"id": message_id, "de_usuario": "ana", "de_nombre": "Ana", "para_usuario": "admin",
                         "mensaje": "", "fecha": gone[0]["fecha"], "cid": "m-1", "eliminado_en": ack["eliminado_en"]}]
    for url in ("/api/mensajes?con=ana", "/api/mensajes/exportar?con=ana&formato=json",
                "/api/mensajes/exportar?con=ana&formato=csv", "/api/buscar?q=kq73", "/api/buscar?q=borrado",
                "/api/conversaciones"):
        body = admin.get(url).get_data(as_text=True)
        assert SECRET not in body and "kq73" not in body.replace("q=kq73", ""), url
    assert get_json(admin, "/api/buscar?q=kq73")["mensajes"] == []
    rows = list(csv.reader(io.StringIO(admin.get("/api/mensajes/exportar?con=ana&formato=csv").get_data(as_text=True))))
    assert [row for row in rows if row[-1] == str(message_id)][0][3] == ""
    with app.app_context():
        assert db.session.scalar(select(Mensaje.mensaje).where(Mensaje.id == message_id)) == ""
        if db.engine.dialect.name == "sqlite":
            found = db.session.execute(text("SELECT rowid FROM mensajes_fts WHERE mensajes_fts MATCH 'kq73'")).all()
            assert found == []
        db.session.remove()
    assert audit_rows(app) == [(message_id, "eliminar", SECRET, "ana")]
    # agents see the history of a message; customers may not ask for it
    history = get_json(admin, f"/api/mensajes/{message_id}/ediciones")
    assert history == [{"mensaje_id": message_id, "accion": "eliminar", "texto_anterior": SECRET, "por": "ana",
                        "nombre": "Ana", "cuando": ack["eliminado_en"]}]
    assert ana.get(f"/api/mensajes/{message_id}/ediciones").status_code == 403


def test_the_list_preview_of_a_deleted_latest_message(app, people, cookie_client):
    message_id = sent(app, people["ana"], "admin", SECRET)
    assert delete(people["ana"], message_id)["ok"]
    listed = get_json(cookie_client("admin"), "/api/conversaciones")
    row = next(r for r in listed if r["usuario"] == "ana")
    assert row["ultimo"]["mensaje"] == "" and row["ultimo"]["eliminado"] is True


# --- a message the writer has not stored yet ----------------------------------------------

def unstored_row(app, de="ana", para="admin", mensaje="en el spool"):
    """A row the writer holds as delivered but not stored (as while the database is slow)."""
    row = rows_for(app, (de, para, mensaje))[0]
    app.extensions["soporte"].writer.unstored[row["id"]] = row
    return row


def test_an_edit_of_an_unstored_message_waits_for_the_writer(app, people, monkeypatch):
    """Stored within STORE_WAIT: the edit goes through; not stored: a retryable refusal, nothing changed."""
    monkeypatch.setattr(edits, "STORE_WAIT", 0.3)
    row = unstored_row(app)
    started = time.monotonic()
    assert edit(people["ana"], row["id"], "cambio", cid="u-1") == {"ok": False, "error": NOT_YET_STORED}
    assert 0.25 < time.monotonic() - started < 2
    assert audit_rows(app) == []

    def store_soon():
        time.sleep(0.1)
        with app.app_context():
            store(db.session, [row])
            db.session.commit()
            db.session.remove()
        app.extensions["soporte"].writer.unstored.pop(row["id"])

    monkeypatch.setattr(edits, "STORE_WAIT", 3.0)
    storer = threading.Thread(target=store_soon)
    storer.start()
    ack = edit(people["ana"], row["id"], "cambio", cid="u-1")  # the page's retry, same cid
    storer.join()
    assert ack["ok"] is True, ack
    assert audit_rows(app) == [(row["id"], "editar", "en el spool", "ana")]


# --- the customer's data ------------------------------------------------------------------

def test_export_and_erase_of_a_customers_changes(app, people):
    own = sent(app, people["ana"], "admin", "mi texto")
    reply = sent(app, people["admin"], "ana", "texto del agente")
    other = sent(app, people["bob"], "admin", "de bob")
    assert edit(people["ana"], own, "mi texto nuevo")["ok"]
    assert delete(people["admin"], reply)["ok"]
    assert delete(people["bob"], other)["ok"]
    from soporte.inbox.edit_history import erase_customer, export_customer
    with app.app_context():
        ana = db.session.scalar(select(Usuario).where(Usuario.usuario == "ana"))
        [(path, body)] = export_customer(ana)
        assert path == "ediciones_mensaje.json"
        assert "mi texto" in body.decode() and "texto del agente" not in body.decode()
        assert erase_customer(ana) == []
        db.session.commit()
        left = db.session.execute(select(EdicionMensaje.conversacion)).scalars().all()
        db.session.remove()
    assert left == ["bob"]


# --- the composer's text on the wire -------------------------------------------------------

def test_lines_and_emoji_are_stored_as_sent_and_counted_as_characters(app, people):
    """Line breaks, tabs and emoji (a joined family, a flag) are a message's text like any other;
    MAX_MESSAGE_LENGTH counts code points, so 2000 emoji fit and 2001 do not."""
    text = "Hola 👋\n\n  línea con sangría\ty 👨‍👩‍👧 🇪🇸\r\nfin"
    ack = send(people["ana"], {"para": "admin", "mensaje": text})
    assert ack["ok"], ack
    assert named(events(people["admin"]), "mensaje_recibido")[0]["mensaje"] == text
    limit = app.config["MAX_MESSAGE_LENGTH"]
    assert send(people["ana"], {"para": "admin", "mensaje": "😀" * limit})["ok"] is True
    assert send(people["ana"], {"para": "admin", "mensaje": "😀" * (limit + 1)}) == {
        "ok": False, "error": f"El mensaje supera los {limit} caracteres"}
    assert [row["mensaje"] for row in stored_messages(app)] == [text, "😀" * limit]
