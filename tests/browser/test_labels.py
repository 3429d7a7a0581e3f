"""Labels in Chromium: created in the modal, put on a conversation, seen live by another agent, managed."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from soporte.extensions import db
from soporte.models import ConversacionEtiqueta, Etiqueta

from .pages import seed_conversation, wait_until


def chips(chat):
    return chat.page.locator("#etiquetas-chips .etiqueta-chip")


def manage(chat):
    """Open the labels dialog."""
    chat.page.get_by_role("button", name="Gestionar etiquetas").click()
    dialog = chat.page.get_by_role("dialog", name="Etiquetas")
    expect(dialog).to_be_visible()
    return dialog


def create(dialog, nombre, colour):
    dialog.get_by_label("Nombre", exact=True).fill(nombre)
    dialog.get_by_label("Color", exact=True).select_option(label=colour)
    dialog.get_by_role("button", name="Crear etiqueta").click()
    expect(dialog.locator(f'.etiqueta-fila:has(input[aria-label="Nombre de la etiqueta {nombre}"])')).to_have_count(1)


def put_on(chat, nombre):
    chat.page.get_by_label("Etiqueta para añadir").select_option(label=nombre)
    chat.page.get_by_role("button", name="Añadir", exact=True).click()


def stored_labels(app):
    with app.app_context():
        names = dict(db.session.execute(select(Etiqueta.id, Etiqueta.nombre)).all())
        return sorted((r.conversacion, names.get(r.etiqueta_id)) for r in db.session.scalars(select(ConversacionEtiqueta)))


def test_create_put_on_and_the_other_agent_sees_it_live(app, open_chat):
    """admin creates two labels and puts them on ana's conversation; agente2, with it open, sees each at once;
    removal by keyboard, a rename, a recolour and a deletion follow live too."""
    seed_conversation(app, "ana", "admin", 4)
    admin, agente2 = open_chat("admin"), open_chat("agente2")
    expect(admin.page.locator("#etiquetas-conversacion")).to_be_hidden()  # no conversation open yet
    expect(admin.page.locator("#panel-cliente")).to_be_hidden()
    admin.open("ana")
    expect(admin.page.locator("#etiquetas-chips")).to_be_hidden()  # an empty row takes no room
    agente2.open("ana")
    expect(chips(agente2)).to_have_count(0)

    dialog = manage(admin)
    create(dialog, "Urgente", "Rojo")
    create(dialog, "Facturación", "Amarillo")
    dialog.get_by_label("Nombre", exact=True).fill("URGENTE")  # the same name, case aside
    dialog.get_by_role("button", name="Crear etiqueta").click()
    expect(dialog.get_by_role("alert")).to_have_text("Ya existe una etiqueta con ese nombre")
    admin.screenshot("etiquetas-gestion")
    dialog.get_by_role("button", name="Cerrar").click()
    expect(dialog).to_be_hidden()

    put_on(admin, "Urgente")
    expect(chips(admin)).to_have_text(["Urgente×"])
    expect(chips(agente2)).to_have_text(["Urgente×"])  # live, no reload
    urgente = chips(agente2).first
    expect(urgente).to_have_css("background-color", "rgb(198, 40, 40)")  # #c62828
    expect(urgente).to_have_css("color", "rgb(255, 255, 255)")
    put_on(admin, "Facturación")
    expect(chips(agente2)).to_have_text(["Facturación×", "Urgente×"])
    expect(chips(agente2).first).to_have_css("color", "rgb(0, 0, 0)")  # black text on yellow
    agente2.screenshot("etiquetas-en-vivo")
    assert wait_until(lambda: stored_labels(app) == [("ana", "Facturación"), ("ana", "Urgente")])

    # agente2 takes one off with the keyboard: Tab to its ×, Enter
    remove = agente2.page.get_by_role("button", name="Quitar la etiqueta Urgente")
    remove.focus()
    agente2.page.keyboard.press("Enter")
    expect(chips(admin)).to_have_text(["Facturación×"])
    expect(chips(agente2)).to_have_text(["Facturación×"])
    # focus did not fall to the page: it is on the list of labels to add
    expect(agente2.page.get_by_label("Etiqueta para añadir")).to_be_focused()

    # renamed and recoloured in the modal by agente2: admin's chip follows
    dialog = manage(agente2)
    row = dialog.locator('.etiqueta-fila:has(input[aria-label="Nombre de la etiqueta Facturación"])')
    row.get_by_label("Nombre de la etiqueta Facturación").fill("Pagos")
    row.get_by_label("Color de la etiqueta Facturación").select_option(label="Verde")
    row.get_by_role("button", name="Guardar").click()
    expect(chips(admin)).to_have_text(["Pagos×"])
    expect(chips(admin).first).to_have_css("background-color", "rgb(46, 125, 50)")  # #2e7d32

    # deleted: off the conversation everywhere (the button asks once more first)
    row = dialog.locator('.etiqueta-fila:has(input[aria-label="Nombre de la etiqueta Pagos"])')
    row.get_by_role("button", name="Borrar la etiqueta Pagos").click()
    expect(chips(admin)).to_have_count(1)  # not yet
    row.get_by_role("button", name="Borrar la etiqueta Pagos").click()
    expect(chips(admin)).to_have_count(0)
    expect(dialog.locator(".etiqueta-fila")).to_have_count(1)  # Urgente stays
    agente2.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert wait_until(lambda: stored_labels(app) == [])


def test_hostile_label_names_are_text(app, open_chat):
    """A name with markup shows as text in the chip, the list and the dialog; no dialog opens."""
    seed_conversation(app, "ana", "admin", 2)
    admin = open_chat("admin")
    admin.open("ana")
    dialog = manage(admin)
    hostile = "<img src=x onerror=alert(1)>"
    dialog.get_by_label("Nombre", exact=True).fill(hostile)
    dialog.get_by_label("Color", exact=True).select_option(label="Otro color…")  # any colour, from the picker
    dialog.get_by_label("Otro color").fill("#ffd54f")
    dialog.get_by_role("button", name="Crear etiqueta").click()
    expect(dialog.get_by_label(f"Color de la etiqueta {hostile}")).to_have_value("#ffd54f")
    expect(dialog.get_by_label(f"Color de la etiqueta {hostile}").locator("option:checked")).to_have_text(
        "Personalizado (#ffd54f)")
    dialog.get_by_role("button", name="Cerrar").click()
    put_on(admin, hostile)
    expect(chips(admin)).to_have_text([hostile + "×"])
    expect(chips(admin).first).to_have_css("background-color", "rgb(255, 213, 79)")
    expect(chips(admin).first).to_have_css("color", "rgb(0, 0, 0)")  # black reads on a light colour
    expect(admin.page.locator("#etiquetas-conversacion img, #dialogo-etiquetas img")).to_have_count(0)


def test_labels_follow_a_reload_and_another_conversation(app, open_chat):
    """Labels are the server's: after a reload they are back; each conversation shows its own."""
    seed_conversation(app, "ana", "admin", 2)
    seed_conversation(app, "bob", "admin", 2)
    admin = open_chat("admin")
    admin.open("ana")
    dialog = manage(admin)
    create(dialog, "VIP", "Morado")
    dialog.get_by_role("button", name="Cerrar").click()
    put_on(admin, "VIP")
    expect(chips(admin)).to_have_text(["VIP×"])
    admin.open("bob")
    expect(chips(admin)).to_have_count(0)
    admin.reload()
    admin.open("ana")
    expect(chips(admin)).to_have_text(["VIP×"])
    expect(admin.page.get_by_label("Etiqueta para añadir")).to_be_disabled()  # no other label to add
    assert re.search("No hay más etiquetas", admin.page.get_by_label("Etiqueta para añadir").inner_text())
