"""Agent management in the browser: a supervisor reaches the team page from the chat's header, invites
an agent who sets a password through the one-time link and logs in, deactivates an agent whose open
chat loses its socket, and reads the audit log. Screenshots of the three pages."""
import re

from playwright.sync_api import expect

from soporte.extensions import db
from soporte.models import Usuario

from .pages import DESKTOP, SCREENSHOTS, TIMEZONE, ChatPage

NEW_PASSWORD = "clave-de-carla-nueva"


def make_supervisor(app, username="admin"):
    with app.app_context():
        db.session.execute(db.update(Usuario).where(Usuario.usuario == username).values(supervisor=True))
        db.session.commit()


def accept_confirms(chat):
    """The team page asks before deactivating: accept, and remember what it asked."""
    asked = []
    chat.page.remove_listener("dialog", chat._dialog)

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    chat.page.on("dialog", accept)
    return asked


def test_supervisor_invites_an_agent_who_sets_a_password_and_logs_in(app, browser, live_server, open_chat):
    make_supervisor(app)
    admin = open_chat("admin")
    agent = open_chat("agente2")
    expect(agent.page.locator("#enlace-equipo")).to_have_count(0)  # agents who do not supervise: no link
    page = admin.page
    page.get_by_role("link", name="Equipo").click()
    page.wait_for_url("**/equipo")
    expect(page).to_have_title("Equipo · Soporte")
    rows = page.locator("tbody tr[data-usuario]")
    expect(rows).to_have_count(2)
    expect(page.locator('tr[data-usuario="admin"] .rol')).to_have_text("Supervisor")
    expect(page.locator('tr[data-usuario="agente2"] .estado')).to_have_text("En línea")

    page.get_by_label("Usuario").fill("carla")
    page.get_by_label("Nombre visible").fill("Carla Pérez")
    page.get_by_role("button", name="Invitar", exact=True).click()
    link = page.locator("#enlace")
    expect(link).to_have_value(re.compile(re.escape(live_server.url + "/invitacion/") + r"[\w-]{40,}$"))
    url = link.input_value()
    assert url.startswith(f"{live_server.url}/invitacion/") and len(url) > len(live_server.url) + 40
    expect(page.locator('tr[data-usuario="carla"] .estado')).to_contain_text("Invitación pendiente")
    admin.screenshot("team-page")

    # the invitee, in a browser of their own
    context = browser.new_context(viewport=DESKTOP, timezone_id=TIMEZONE, locale="es-ES")
    try:
        invited = context.new_page()
        errors = []
        invited.on("pageerror", lambda error: errors.append(str(error)))
        invited.goto(url)
        expect(invited.get_by_role("heading", name="Hola, Carla Pérez")).to_be_visible()
        invited.get_by_label("Contraseña", exact=True).fill(NEW_PASSWORD)
        invited.get_by_label("Repite la contraseña").fill(NEW_PASSWORD + "x")
        invited.get_by_role("button", name="Guardar la contraseña y entrar").click()
        expect(invited.get_by_role("alert")).to_have_text("Las contraseñas no coinciden")
        invited.get_by_label("Contraseña", exact=True).fill(NEW_PASSWORD)
        invited.get_by_label("Repite la contraseña").fill(NEW_PASSWORD)
        invited.screenshot(path=str(SCREENSHOTS / "team-invitation.png"), full_page=True)
        invited.get_by_role("button", name="Guardar la contraseña y entrar").click()
        invited.wait_for_url("**/soporte")
        expect(invited.locator("#estado")).to_have_attribute("data-state", "connected")
        expect(invited.locator(".quien strong")).to_have_text("Carla Pérez")
        # the link works once
        invited.goto(url)
        expect(invited.locator("#enlace-no-valido")).to_contain_text("ya se ha usado")
        assert not errors, errors
    finally:
        context.close()

    # and the new password logs in through the login form
    fresh = browser.new_context(viewport=DESKTOP, timezone_id=TIMEZONE, locale="es-ES")
    try:
        carla = ChatPage(fresh.new_page(), "carla", live_server.url)
        carla.login(NEW_PASSWORD)
        expect(carla.page.locator(".quien strong")).to_have_text("Carla Pérez")
    finally:
        fresh.close()

    page.reload()
    expect(page.locator('tr[data-usuario="carla"] .estado')).not_to_contain_text("Invitación pendiente")


def test_supervisor_deactivates_an_agent_and_reads_the_audit_log(app, open_chat, password):
    make_supervisor(app)
    admin = open_chat("admin")
    agent = open_chat("agente2")
    asked = accept_confirms(admin)
    page = admin.page
    page.goto(admin.base_url + "/equipo")
    page.locator('tr[data-usuario="agente2"]').get_by_role("button", name="Hacer supervisor").click()
    expect(page.get_by_role("status").first).to_have_text("Agente2 es ahora supervisor")
    page.locator('tr[data-usuario="agente2"]').get_by_role("button", name="Hacer agente").click()
    page.locator('tr[data-usuario="agente2"]').get_by_role("button", name="Desactivar").click()
    expect(page.get_by_role("status").first).to_contain_text("Agente2 está desactivado")
    assert asked == ["¿Desactivar a Agente2? Sus sesiones se cerrarán."]
    expect(page.locator('tr[data-usuario="agente2"] .estado')).to_have_text("Desactivado")

    # the agent's open chat loses its socket, and its token: a new login is the only way back
    expect(agent.page.locator("#estado")).to_have_attribute("data-state", "expired")
    expect(agent.page.locator("#reentrar")).to_be_visible()
    agent.page.locator("#reentrar").click()
    agent.page.wait_for_url("**/login")
    agent.page.get_by_label("Usuario").fill("agente2")
    agent.page.get_by_label("Contraseña").fill(password)
    agent.page.get_by_role("button", name="Entrar").click()
    expect(agent.page.get_by_role("alert")).to_contain_text("Esta cuenta está desactivada")

    # the last supervisor cannot step down
    page.locator('tr[data-usuario="admin"]').get_by_role("button", name="Hacer agente").click()
    expect(page.get_by_role("status").first).to_contain_text("último supervisor activo")

    page.get_by_role("link", name="Registro de cambios").click()
    page.wait_for_url("**/equipo/auditoria")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("Cuenta desactivada")
    expect(rows.nth(1).locator("td").nth(4)).to_have_text("supervisor → agente")
    expect(rows.nth(2).locator("td").nth(4)).to_have_text("agente → supervisor")
    expect(rows.nth(0).locator("td").nth(1)).to_contain_text("Admin")
    admin.screenshot("team-audit-log")
    page.get_by_role("button", name="EN").click()
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("Account deactivated")
    admin.screenshot("team-audit-log-en")
