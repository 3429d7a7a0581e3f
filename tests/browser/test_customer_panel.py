"""The customer panel in Chromium: a seeded customer's fields, live presence and note, an earlier conversation opened."""
from datetime import datetime

from playwright.sync_api import expect
from sqlalchemy import update

from soporte.extensions import db
from soporte.models import Ciclo, Usuario

from .pages import PHONE, local_time, seed_conversation, stored


def panel(chat):
    return chat.page.locator("#panel-cliente")


def seed_history(app):
    """300 messages with ana, two of her conversations resolved earlier (from message 11 and from 101), one open."""
    seed_conversation(app, "ana", "admin", 300)
    rows = stored(app)
    with app.app_context():
        db.session.add_all([
            Ciclo(conversacion="ana", abierto_id=rows[10]["id"], abierta_en=rows[10]["fecha"],
                  resuelta_en=rows[40]["fecha"], resuelta_por="admin"),
            Ciclo(conversacion="ana", abierto_id=rows[100]["id"], abierta_en=rows[100]["fecha"],
                  resuelta_en=rows[150]["fecha"], resuelta_por="agente2"),
            Ciclo(conversacion="ana", abierto_id=rows[200]["id"], abierta_en=rows[200]["fecha"]),
        ])
        db.session.execute(update(Usuario).where(Usuario.usuario == "ana")
                           .values(nombre="Ana López", idioma="es", creado_en=datetime(2025, 3, 4, 10, 6)))
        db.session.execute(update(Usuario).where(Usuario.usuario == "bob").values(creado_en=None))
        db.session.commit()
    return rows


def test_the_panel_shows_the_customer_and_follows_them_live(app, open_chat):
    """Fields of a seeded customer; she comes online; another agent's note arrives; an earlier conversation opens."""
    rows = seed_history(app)
    admin, agente2 = open_chat("admin"), open_chat("agente2")
    admin.open("ana", "Ana López")
    box = panel(admin)
    expect(box).to_be_visible()
    expect(box.locator("#cliente-nombre")).to_have_text("Ana López")
    expect(box.locator("#cliente-usuario")).to_have_text("@ana")
    expect(box.locator("#cliente-registro")).to_have_text(local_time(datetime(2025, 3, 4, 10, 6)))
    expect(box.locator("#cliente-idioma")).to_have_text("Español")
    expect(box.locator("#cliente-estado")).to_have_text("Desconectado")
    expect(box.locator("#cliente-etiquetas")).to_have_text("Ninguna")
    earlier = box.locator(".conversacion-anterior")
    expect(earlier).to_have_count(2)  # the open one is not earlier
    expect(earlier.nth(0)).to_contain_text(f"{local_time(rows[100]['fecha'])} – {local_time(rows[150]['fecha'])}")
    expect(earlier.nth(0)).to_contain_text("Resuelta por Agente2")
    expect(earlier.nth(1)).to_contain_text("Resuelta por Admin")

    ana = open_chat("ana")  # she comes online: the panel says so without a reload
    expect(box.locator("#cliente-estado")).to_have_text("En línea")
    expect(box.locator("#cliente-estado")).to_have_attribute("data-online", "true")

    agente2.open("ana", "Ana López")
    note = "Prefiere correo.\n<b>No</b> llamar antes de las 10."
    agente2.page.get_by_label("Nota del equipo").fill(note)
    agente2.page.get_by_role("button", name="Guardar nota").click()
    expect(agente2.page.locator("#cliente-nota-info")).to_contain_text("Editada por Agente2")
    expect(admin.page.get_by_label("Nota del equipo")).to_have_value(note)  # live, on admin's page
    expect(box.locator("#cliente-nota-info")).to_contain_text("Editada por Agente2")
    expect(ana.page.get_by_text("Prefiere correo")).to_have_count(0)  # never the customer's
    admin.screenshot("panel-cliente")

    # while admin types, agente2's next save does not overwrite admin's text: a notice says so
    admin.page.get_by_label("Nota del equipo").fill("Borrador de admin")
    agente2.page.get_by_label("Nota del equipo").fill("Versión de agente2")
    agente2.page.get_by_role("button", name="Guardar nota").click()
    expect(box.locator("#cliente-nota-aviso")).to_contain_text("Agente2 ha cambiado la nota mientras escribías")
    expect(admin.page.get_by_label("Nota del equipo")).to_have_value("Borrador de admin")

    ana.page.close()  # she goes: offline again
    expect(box.locator("#cliente-estado")).to_have_text("Desconectado")

    # the older earlier conversation opens at its first message (mensaje 011), highlighted
    earlier.nth(1).click()
    found = admin.message("mensaje 011")
    expect(found).to_be_visible()
    expect(found).to_have_class("msg msg-other msg-encontrado")
    expect(panel(admin).locator("#cliente-nombre")).to_have_text("Ana López")
    admin.screenshot("panel-cliente-conversacion-anterior")


def test_an_old_account_and_a_narrow_screen(app, open_chat):
    """No registration date reads "desconocida"; on a phone the panel starts folded and unfolds by keyboard."""
    seed_history(app)
    seed_conversation(app, "bob", "admin", 2)
    admin = open_chat("admin")
    admin.open("bob")
    expect(panel(admin).locator("#cliente-registro")).to_have_text("desconocida")
    expect(panel(admin).locator("#cliente-idioma")).to_have_text("sin elegir")
    expect(panel(admin).locator(".conversacion-anterior")).to_have_count(0)
    expect(panel(admin).locator("#cliente-sin-conversaciones")).to_be_visible()

    phone = open_chat("agente2", viewport=PHONE)
    phone.user_item("ana").click()
    toggle = phone.page.get_by_role("button", name="Ficha del cliente")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(phone.page.locator("#cliente-nombre")).to_be_hidden()
    toggle.focus()
    phone.page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone.page.locator("#cliente-nombre")).to_have_text("Ana López")
    phone.page.locator("#panel-cliente").scroll_into_view_if_needed()
    phone.screenshot("panel-cliente-movil")


def test_labels_and_the_panel_in_english(app, open_chat):
    """The English page: the panel's words, dates and refusals from the server, translated."""
    seed_history(app)
    with app.app_context():
        db.session.execute(update(Usuario).where(Usuario.usuario == "bob").values(idioma="en"))
        db.session.commit()
    seed_conversation(app, "bob", "admin", 2)
    admin = open_chat("admin")
    page = admin.page
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/soporte")
    expect(page.locator("#estado")).to_have_text("Connected")
    admin.user_item("bob").click()
    toggle = page.get_by_role("button", name="Customer details")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    box = panel(admin)
    expect(box.locator("#cliente-registro")).to_have_text("unknown")
    expect(box.locator("#cliente-idioma")).to_have_text("English")
    expect(box.locator("#cliente-estado")).to_have_text("Offline")
    expect(box.locator("#cliente-etiquetas")).to_have_text("None")
    expect(box.get_by_text("None resolved yet.")).to_be_visible()

    page.get_by_role("button", name="Manage labels").click()
    dialog = page.get_by_role("dialog", name="Labels")
    dialog.get_by_label("Name", exact=True).fill("Urgent")
    dialog.get_by_label("Colour", exact=True).select_option(label="Red")
    dialog.get_by_role("button", name="Create label").click()
    expect(dialog.get_by_label("Name of the label Urgent")).to_have_value("Urgent")
    dialog.get_by_label("Name", exact=True).fill("URGENT")
    dialog.get_by_role("button", name="Create label").click()
    expect(dialog.get_by_role("alert")).to_have_text("A label with that name already exists")
    dialog.get_by_role("button", name="Close").click()
    page.get_by_label("Label to add").select_option(label="Urgent")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("button", name="Remove the label Urgent")).to_be_visible()
    expect(box.locator("#cliente-etiquetas .etiqueta-chip")).to_have_text(["Urgent"])
    admin.screenshot("panel-cliente-english")


def test_more_earlier_conversations(app, open_chat):
    """Ten at first, newest first; "Ver más" brings the older ones, and then goes."""
    seed_conversation(app, "ana", "admin", 30)
    rows = stored(app)
    with app.app_context():
        for n in range(12):  # the n-th opened at message n+1
            db.session.add(Ciclo(conversacion="ana", abierto_id=rows[n]["id"], abierta_en=rows[n]["fecha"],
                                 resuelta_en=rows[n + 1]["fecha"], resuelta_por="admin"))
        db.session.commit()
    admin = open_chat("admin")
    admin.open("ana")
    earlier = panel(admin).locator(".conversacion-anterior")
    expect(earlier).to_have_count(10)
    expect(earlier.first).to_have_attribute("data-abierto", str(rows[11]["id"]))
    more = admin.page.get_by_role("button", name="Ver más")
    more.click()
    expect(earlier).to_have_count(12)
    expect(earlier.last).to_have_attribute("data-abierto", str(rows[0]["id"]))
    expect(more).to_be_hidden()
