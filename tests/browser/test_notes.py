"""Private notes in the browser: the composer's "Nota interna" switch, a note shown live to the other
agent (styled as a note) and in order after a reload, and the customer's page never showing it."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from soporte.extensions import db
from soporte.models import Nota
from soporte.relay.ids import MAX_NODE, IdGenerator
from soporte.relay.writer import store

from .pages import PHONE, classes, stored, wait_until

SECRET = "Cliente moroso: no ofrecer descuento (nota 7f3q)"
NOTE_BACKGROUND = "rgb(255, 243, 205)"  # soporte.css .msg-nota


def record_frames(frames):
    """A prepare(context) for open_chat: every websocket frame the page receives goes into frames."""

    def prepare(context):
        context.on("page", lambda page: page.on(
            "websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload)))))

    return prepare


def expect_note(item, author):
    """A note as the page must show it: its class, its label, its author, yellow and dashed."""
    expect(item).to_have_class(classes("msg", "msg-nota"))
    expect(item.locator(".msg-nota-etiqueta")).to_have_text("Nota interna · solo agentes")
    expect(item.locator(".msg-author")).to_have_text(author)
    expect(item).to_have_css("background-color", NOTE_BACKGROUND)
    expect(item).to_have_css("border-top-style", "dashed")


def test_a_note_goes_to_the_agents_only(app, open_chat):
    """admin writes a note in ana's conversation; agente2 sees it live, styled; ana never does."""
    frames = []
    ana = open_chat("ana", prepare=record_frames(frames))
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    ana.send("Hola, me habéis cobrado dos veces")
    admin.open("ana")
    agente2.open("ana")
    expect(admin.message("Hola, me habéis cobrado dos veces")).to_be_visible()

    # the switch: the composer says, everywhere, that this is a note
    toggle = admin.page.locator("#modo-nota")
    submit = admin.page.locator("#form-mensaje button[type=submit]")
    box = admin.page.locator("#mensaje")
    expect(toggle).to_have_text("Nota interna")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(submit).to_have_text("Enviar")
    expect(admin.page.locator("#aviso-nota")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(submit).to_have_text("Guardar nota")
    expect(box).to_have_attribute("placeholder", "Nota interna: solo la verán los agentes…")
    expect(admin.page.locator("#aviso-nota")).to_be_visible()
    expect(admin.page.locator("#form-mensaje")).to_have_class(re.compile(r"\bescribiendo-nota\b"))
    box.press_sequentially(SECRET, delay=5)  # real keystrokes: the typing indicator would fire on these
    admin.screenshot("notas-1-redactando-nota")
    submit.click()

    own = admin.message(SECRET)
    expect(own).to_have_attribute("data-state", "sent")
    expect(own.locator(".msg-state")).to_have_text("Guardada")  # a note is saved, not sent
    expect_note(own, "Tú")
    expect(box).to_have_value("")
    expect(toggle).to_have_attribute("aria-pressed", "true")  # still writing notes until switched off

    # the other agent: live, styled as a note, by its author's name
    seen = agente2.message(SECRET)
    expect(seen).to_have_count(1)
    expect_note(seen, "Admin")
    agente2.screenshot("notas-2-otro-agente-la-ve")
    # the customer: nothing (not the note, nor "Admin está escribiendo..." for it)
    expect(ana.page.locator("#escribiendo")).to_have_class(re.compile(r"\binvisible\b"))
    expect(ana.page.locator("#mensajes")).not_to_contain_text(SECRET)

    # back to replies: this one goes to the customer, after the note
    toggle.click()
    expect(submit).to_have_text("Enviar")
    expect(box).to_have_attribute("placeholder", "Escribe tu respuesta…")
    admin.send("Lo reviso y te devuelvo el cobro, Ana")
    reply = ana.message("Lo reviso y te devuelvo el cobro, Ana")
    expect(reply).to_be_visible()
    expect(ana.page.locator("#mensajes")).not_to_contain_text(SECRET)
    expect(ana.page.locator("#mensajes .msg-nota")).to_have_count(0)
    ana.screenshot("notas-3-cliente-no-la-ve")

    order = ["Hola, me habéis cobrado dos veces", SECRET, "Lo reviso y te devuelvo el cobro, Ana"]
    expect(agente2.page.locator("#mensajes .msg-text")).to_have_text(order)
    # after a reload: the agents in order with the messages, still a note; the customer never
    agente2.reload()
    agente2.open("ana")
    expect(agente2.page.locator("#mensajes .msg-text")).to_have_text(order)
    expect_note(agente2.message(SECRET), "Admin")
    expect(agente2.page.locator("#mensajes .msg-nota")).to_have_count(1)
    agente2.screenshot("notas-4-tras-recargar")
    ana.reload()
    expect(ana.page.locator("#mensajes .msg-text")).to_have_text([order[0], order[2]])
    assert SECRET not in ana.page.content()
    assert frames, "no websocket frame recorded on the customer's page"
    assert not [frame for frame in frames if "7f3q" in frame or "nota_creada" in frame]


def test_the_switch_rests_with_no_conversation_open_and_customers_have_none(app, open_chat):
    """No conversation open: the switch is disabled; the customer's composer has no switch at all."""
    admin = open_chat("admin")
    expect(admin.page.locator("#modo-nota")).to_be_disabled()
    ana = open_chat("ana")
    expect(ana.page.locator("#modo-nota")).to_have_count(0)
    expect(ana.page.locator("#aviso-nota")).to_have_count(0)


def stored_notes(app):
    """Every stored note as (autor, texto, cid), oldest first."""
    with app.app_context():
        rows = db.session.execute(select(Nota.autor, Nota.texto, Nota.cid).order_by(Nota.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def test_notes_while_offline_wait_go_as_notes_and_are_caught_up(app, open_chat):
    """A note written offline waits and goes, as a note, once, when the socket is back; an agent
    who was offline gets the notes written meanwhile in the catch-up, styled as notes."""
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    ana = open_chat("ana")
    ana.send("¿Hay alguien?")
    admin.open("ana")
    agente2.open("ana")
    admin.page.locator("#modo-nota").click()

    agente2.page.context.set_offline(True)
    expect(agente2.page.locator("#estado")).to_have_attribute("data-state", "reconnecting")
    admin.page.locator("#mensaje").fill("Nota mientras agente2 no estaba")
    admin.page.locator("#form-mensaje button[type=submit]").click()
    expect(admin.message("Nota mientras agente2 no estaba")).to_have_attribute("data-state", "sent")
    agente2.page.context.set_offline(False)
    agente2.expect_connected()
    expect(agente2.message("Nota mientras agente2 no estaba")).to_have_count(1)
    expect_note(agente2.message("Nota mientras agente2 no estaba"), "Admin")

    admin.page.context.set_offline(True)
    expect(admin.page.locator("#estado")).to_have_attribute("data-state", "reconnecting")
    admin.page.locator("#mensaje").fill("Nota escrita sin conexión")
    admin.page.locator("#form-mensaje button[type=submit]").click()
    waiting = admin.message("Nota escrita sin conexión")
    expect(waiting).to_have_attribute("data-state", "waiting")
    expect(waiting.locator(".msg-error")).to_have_text("Sin conexión: se guardará al volver la conexión")
    expect(waiting.locator(".msg-state")).to_have_text("No guardada")
    expect_note(waiting, "Tú")
    admin.page.context.set_offline(False)
    admin.expect_connected()
    expect(waiting).to_have_attribute("data-state", "sent")
    expect(agente2.message("Nota escrita sin conexión")).to_have_count(1)
    expect_note(agente2.message("Nota escrita sin conexión"), "Admin")
    notes = wait_until(lambda: len(stored_notes(app)) == 2 and stored_notes(app), what="two notes stored")
    assert [(autor, texto) for autor, texto, _ in notes] == [
        ("admin", "Nota mientras agente2 no estaba"), ("admin", "Nota escrita sin conexión")]
    assert all(cid for _, _, cid in notes)
    assert [row["mensaje"] for row in stored(app)] == ["¿Hay alguien?"]  # neither went as a message
    expect(ana.page.locator("#mensajes .msg")).to_have_count(1)
    expect(ana.page.locator("#mensajes")).not_to_contain_text("Nota")


def test_a_phone_has_room_for_the_switch_and_the_box(app, open_chat):
    """On a phone the switch, the box and the button share the line, and the box stays usable."""
    ana = open_chat("ana")
    ana.send("Hola desde el móvil")
    admin = open_chat("admin", viewport=PHONE)
    admin.open("ana")
    admin.page.locator("#modo-nota").click()
    admin.page.locator("#mensaje").fill("Nota desde el móvil")
    admin.page.locator("#form-mensaje button[type=submit]").click()
    expect_note(admin.message("Nota desde el móvil"), "Tú")
    box = admin.page.locator("#mensaje").bounding_box()
    toggle = admin.page.locator("#modo-nota").bounding_box()
    submit = admin.page.locator("#form-mensaje button[type=submit]").bounding_box()
    assert box["width"] >= 120, box
    assert box["y"] == toggle["y"] == submit["y"]  # one line
    assert submit["x"] + submit["width"] <= PHONE["width"]
    admin.screenshot("notas-5-movil")


def seed_with_a_note(app, note_text, at=150, count=300):
    """count messages with ana and, after the at-th, a note by admin: ids from one generator, as in production."""
    ids = IdGenerator(node=MAX_NODE)
    rows, note = [], None
    for n in range(1, count + 1):
        message_id, fecha = ids.next()
        de, para = ("ana", "admin") if n % 2 else ("admin", "ana")
        rows.append({"id": message_id, "de_usuario": de, "para_usuario": para, "conversacion": "ana",
                     "mensaje": f"mensaje {n:03d}", "fecha": fecha, "cid": None})
        if n == at:
            note_id, note_fecha = ids.next()
            note = Nota(id=note_id, conversacion="ana", autor="admin", texto=note_text, fecha=note_fecha)
    with app.app_context():
        store(db.session, rows)
        db.session.add(note)
        db.session.commit()
        db.session.remove()


def test_search_finds_a_note_and_opens_the_conversation_at_it(app, open_chat):
    """An agent's search lists notes in a group of their own; a result opens the conversation at
    the note (far from the latest messages), highlighted and styled as a note."""
    seed_with_a_note(app, "Cliente moroso desde marzo: pedir pago por adelantado")
    agente2 = open_chat("agente2")
    page = agente2.page
    page.get_by_role("searchbox", name="Buscar usuarios y mensajes").fill("moroso")
    results = page.locator("#buscar-resultados")
    expect(results).to_be_visible()
    expect(results).to_contain_text("Notas internas")
    hit = results.locator(".resultado-nota")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Admin: Cliente moroso")
    expect(hit.locator("mark")).to_have_text(["moroso"])
    expect(results.locator(".resultado-mensaje")).to_have_count(0)
    agente2.screenshot("notas-6-busqueda")
    hit.click()
    found = agente2.message("Cliente moroso desde marzo: pedir pago por adelantado")
    expect(found).to_have_class(classes("msg", "msg-nota", "msg-encontrado"))
    expect(found).to_be_in_viewport()
    expect(agente2.message("mensaje 150")).to_be_visible()
    texts = agente2.texts()
    assert texts.index("Cliente moroso desde marzo: pedir pago por adelantado") == texts.index("mensaje 150") + 1
    agente2.screenshot("notas-7-abierta-en-la-nota")


def test_a_hostile_note_is_shown_as_text(app, open_chat):
    """Markup in a note is its text on every agent's page: no element made, no script run (no dialog)."""
    hostile = '<img src=x onerror=alert(1)> <b>negrita</b> <script>alert(2)</script>'
    ana = open_chat("ana")
    ana.send("hola")
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    admin.open("ana")
    agente2.open("ana")
    admin.page.locator("#modo-nota").click()
    admin.page.locator("#mensaje").fill(hostile)
    admin.page.locator("#form-mensaje button[type=submit]").click()
    for chat in (admin, agente2):
        expect(chat.message(hostile)).to_have_count(1)
        expect(chat.page.locator("#mensajes img, #mensajes b, #mensajes script")).to_have_count(0)
    agente2.reload()
    agente2.open("ana")
    expect(agente2.message(hostile)).to_have_count(1)
    expect(agente2.page.locator("#mensajes img, #mensajes b, #mensajes script")).to_have_count(0)
