"""Search and export in the agents' inbox: a result opens its conversation at that message; downloads."""
import csv
import io
import json

from playwright.sync_api import expect
from sqlalchemy import select

from soporte.extensions import db
from soporte.relay.ids import MAX_NODE, IdGenerator
from soporte.models import Mensaje
from soporte.relay.writer import store

from .pages import SCREENSHOTS, classes

FOUND = "El cupón ÑANDÚ-42 es para la Canción del verano"
XSS = '<img src=x onerror=alert(1)> otra canción'


def seed(app):
    """300 messages with ana (one of them FOUND, far from the latest) and a few with bob, as the writer stores them."""
    ids = IdGenerator(node=MAX_NODE)
    rows = []
    for n in range(1, 301):
        message_id, fecha = ids.next()
        de, para = ("ana", "admin") if n % 2 else ("admin", "ana")
        text = FOUND if n == 120 else f"mensaje {n:03d}"
        rows.append({"id": message_id, "de_usuario": de, "para_usuario": para, "conversacion": "ana",
                     "mensaje": text, "fecha": fecha, "cid": None})
    for n, text in enumerate(["hola", XSS, "adiós, con comas"]):
        message_id, fecha = ids.next()
        rows.append({"id": message_id, "de_usuario": "bob", "para_usuario": "admin", "conversacion": "bob",
                     "mensaje": text, "fecha": fecha, "cid": None})
    with app.app_context():
        store(db.session, rows)
        db.session.commit()
        found_id = db.session.scalar(select(Mensaje.id).where(Mensaje.mensaje == FOUND))
        db.session.remove()
    return found_id


def test_a_result_opens_the_conversation_at_that_message(app, open_chat):
    found_id = seed(app)
    ana = open_chat("ana")
    admin = open_chat("admin")
    page = admin.page
    box = page.get_by_role("searchbox", name="Buscar usuarios y mensajes")
    box.fill("cancion")
    results = page.locator("#buscar-resultados")
    expect(results).to_be_visible()
    hits = results.locator(".resultado-mensaje")
    expect(hits).to_have_count(2)  # newest first: bob's, then ana's
    expect(hits.nth(0)).to_contain_text(XSS)  # as text: no image, no dialog
    expect(results.locator("img")).to_have_count(0)
    expect(hits.nth(1)).to_contain_text("Ana")  # the conversation by its customer's display name
    expect(hits.nth(1)).to_contain_text("Admin: El cupón")  # and the author's
    expect(hits.nth(1).locator("mark")).to_have_text(["Canción"])  # the word found, accent and all
    admin.screenshot("inbox-busqueda")
    assert (SCREENSHOTS / "inbox-busqueda.png").exists()

    hits.nth(1).click()
    expect(results).to_be_hidden()
    expect(page.locator("#chat-titulo")).to_have_text("Conversación con Ana")
    target = admin.message(FOUND)
    expect(target).to_have_class(classes("msg", "msg-encontrado"))
    expect(target).to_be_in_viewport()
    assert target.get_attribute("data-id") == str(found_id)
    # the page around it: 50 up to it, 50 after it
    expect(admin.messages).to_have_count(100)
    assert admin.texts()[0] == "mensaje 071" and admin.texts()[-1] == "mensaje 170"
    admin.screenshot("inbox-busqueda-abierta")

    # a live message does not land after the gap: the jump button offers the way down
    ana.send("¿Sigue ahí alguien?")
    expect(ana.message("¿Sigue ahí alguien?")).to_have_attribute("data-state", "sent")
    expect(page.get_by_role("button", name="Mensajes nuevos ↓")).to_be_visible()
    expect(admin.messages).to_have_count(100)
    # scrolling down fetches the newer ones until the latest, the live one included, each once
    for _ in range(10):
        page.locator("#mensajes").evaluate("b => b.scrollTop = b.scrollHeight")
        if admin.message("¿Sigue ahí alguien?").count():
            break
        page.wait_for_timeout(200)
    expect(admin.message("¿Sigue ahí alguien?")).to_have_count(1)
    assert admin.texts()[-2:] == ["mensaje 300", "¿Sigue ahí alguien?"]
    ids = page.locator("#mensajes .msg").evaluate_all("ms => ms.map(m => m.dataset.id)")
    assert len(ids) == len(set(ids)) == 231 and ids == sorted(ids, key=int)
    # attached again: the next live message follows on at once
    ana.send("¿Hola?")
    expect(admin.message("¿Hola?")).to_have_count(1)
    assert admin.texts()[-1] == "¿Hola?"
    # and scrolling up fetches older ones, as usual
    admin.scroll_to_top()
    expect(admin.message("mensaje 070")).to_have_count(1)


def test_a_user_result_opens_that_conversation(app, open_chat):
    seed(app)
    admin = open_chat("admin")
    admin.page.get_by_role("searchbox", name="Buscar usuarios y mensajes").fill("BO")
    user = admin.page.locator("#buscar-resultados .resultado-usuario")
    expect(user).to_have_count(1)
    expect(user).to_contain_text("@bob")
    user.click()
    expect(admin.page.locator("#chat-titulo")).to_have_text("Conversación con Bob")
    expect(admin.message("adiós, con comas")).to_be_visible()
    # too short a query asks nothing and shows nothing
    admin.page.get_by_role("searchbox", name="Buscar usuarios y mensajes").fill("b")
    expect(admin.page.locator("#buscar-resultados")).to_be_hidden()


def test_export_links_download_the_open_conversation(app, open_chat, tmp_path):
    seed(app)
    admin = open_chat("admin")
    expect(admin.page.locator("#exportar")).to_be_hidden()  # nothing open yet
    admin.open("bob")
    with admin.page.expect_download() as download:
        admin.page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("conversacion-bob-")
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbffecha,de,para,mensaje,id\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [r[1:4] for r in rows[1:]] == [["bob", "admin", "hola"], ["bob", "admin", XSS],
                                          ["bob", "admin", "adiós, con comas"]]
    with admin.page.expect_download() as download:
        admin.page.get_by_role("link", name="JSON").click()
    assert download.value.suggested_filename.endswith(".json")
    document = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert document["conversacion"] == "bob"
    assert [m["mensaje"] for m in document["mensajes"]] == ["hola", XSS, "adiós, con comas"]
