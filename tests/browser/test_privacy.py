"""The customer's data in Chromium: a supervisor downloads and erases a customer from the panel; a customer downloads their own."""
import zipfile

from playwright.sync_api import expect
from sqlalchemy import select

from soporte.extensions import db
from soporte.models import Mensaje, Usuario

from .pages import seed_conversation
from .test_team import make_supervisor


def test_a_supervisor_downloads_then_erases_a_customer(app, open_chat):
    """Descargar datos gives the archive; Borrar cliente asks for the username typed again, then the customer is gone."""
    seed_conversation(app, "ana", "admin", 5)
    seed_conversation(app, "bob", "admin", 2)
    make_supervisor(app)
    agente2 = open_chat("agente2")
    agente2.open("ana")
    expect(agente2.page.locator("#panel-cliente-cuerpo")).to_be_visible()
    expect(agente2.page.get_by_role("button", name="Borrar cliente")).to_have_count(0)  # supervisors only
    other_tab = open_chat("agente2")  # another agent's tab, on another conversation
    other_tab.open("bob")
    expect(other_tab.user_item("ana")).to_be_visible()
    other_tab.page.evaluate("window.sinRecargar = true")

    admin = open_chat("admin")
    admin.open("ana")
    page = admin.page
    download_link = page.get_by_role("link", name="Descargar datos")
    expect(download_link).to_be_visible()
    admin.screenshot("datos-cliente-botones")
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.startswith("datos-ana-")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert {"LEEME.txt", "cuenta.json", "mensajes/mensajes.json", "notas.json"} <= set(archive.namelist())

    page.get_by_role("button", name="Borrar cliente").click()
    dialog = page.locator("#dialogo-borrar-cliente")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#borrar-cliente-usuario")).to_have_text("ana")
    confirm = dialog.get_by_role("button", name="Borrar para siempre")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Para confirmar, escribe su nombre de usuario:").fill("an")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("Para confirmar, escribe su nombre de usuario:").fill("ana")
    expect(confirm).to_be_enabled()
    admin.screenshot("datos-cliente-confirmar-borrado")
    confirm.click()
    expect(admin.user_item("bob")).to_be_visible()  # the page came back, without her
    expect(admin.user_item("ana")).to_have_count(0)
    # the other agents' pages drop her live: the tab on bob stays as it was, the one on her starts afresh
    expect(other_tab.user_item("ana")).to_have_count(0)
    assert other_tab.page.evaluate("window.sinRecargar") is True
    expect(other_tab.page.locator("#chat-titulo")).to_have_text("Conversación con Bob")
    expect(agente2.user_item("bob")).to_be_visible()
    expect(agente2.user_item("ana")).to_have_count(0)
    assert "Ana" not in agente2.page.locator("#chat-titulo").inner_text()
    with app.app_context():
        assert db.session.scalar(select(Usuario.id).where(Usuario.usuario == "ana")) is None
        assert db.session.scalars(select(Mensaje.id).where(Mensaje.conversacion == "ana")).all() == []
        db.session.remove()


def test_a_customer_downloads_their_own_data(app, open_chat):
    """The link on the customer's chat page downloads their archive, without the agents' notes."""
    seed_conversation(app, "bob", "admin", 3)
    bob = open_chat("bob")
    link = bob.page.get_by_role("link", name="Descargar mis datos")
    expect(link).to_be_visible()
    bob.screenshot("datos-cliente-mis-datos")
    with bob.page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("datos-bob-")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = set(archive.namelist())
    assert "mensajes/transcripcion.txt" in names and "notas.json" not in names
