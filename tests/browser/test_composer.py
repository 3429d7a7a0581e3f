"""Issue #10, items 10 and 16a-c in the browser: nothing typed is cut or lost (the message box,
the registration form's language switch), a new customer's typing is seen, a logout ends the other tabs."""
import re
import shutil
from pathlib import Path

from playwright.sync_api import expect

from .pages import DESKTOP, SCREENSHOTS, count_stored, stored, wait_until

SHOTS = Path("/tmp/shots-fix-composer")  # where this branch's screenshots were looked at
DANGER = re.compile(r"\btext-danger\b")


def keep_shot(page, name):
    """A full-page screenshot in the suite's folder, copied to SHOTS."""
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_pasting_more_than_the_limit_keeps_it_all_and_sends_nothing(app, open_chat):
    """5,000 characters pasted stay in the box; the counter says how many are too many and
    sending is refused until they are gone: nothing is cut, nothing is stored."""
    ana = open_chat("ana")
    box = ana.page.locator("#mensaje")
    box.focus()
    ana.page.keyboard.insert_text("a" * 5000)  # how a paste arrives: one insertText input
    assert len(box.input_value()) == 5000
    counter = ana.page.locator("#contador")
    expect(counter).to_be_visible()
    expect(counter).to_have_text("5000 / 2000: sobran 3000 caracteres, no se enviará")
    expect(counter).to_have_class(DANGER)
    expect(box).to_have_attribute("aria-invalid", "true")
    send = ana.page.get_by_role("button", name="Enviar")
    expect(send).to_be_disabled()
    send.click(force=True)  # a click on the disabled button does nothing
    box.press("Enter")  # nor does the keyboard's way to submit
    expect(ana.messages).to_have_count(0)
    assert len(box.input_value()) == 5000
    keep_shot(ana.page, "composer-demasiado-largo")

    # back under the limit: the warning goes and the message is sent whole
    box.fill("b" * 2000)
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(counter).to_have_text("2000 / 2000")
    expect(counter).not_to_have_class(DANGER)
    expect(send).to_be_enabled()
    send.click()
    expect(ana.message("b" * 2000)).to_have_attribute("data-state", "sent")
    # one socket's messages are stored in order: anything sent before would be here too
    wait_until(lambda: count_stored(app) == 1, what="the message stored")
    assert [r["mensaje"] for r in stored(app)] == ["b" * 2000]


def test_a_new_customer_typing_shows_up_in_the_agents_list(open_chat):
    """A customer with no conversation yet types: the agent's list gets the conversation, saying
    who is typing, before any message; the first message then lands in that same item."""
    admin = open_chat("admin")
    expect(admin.page.locator("#usuarios-vacio")).to_be_visible()
    carla = open_chat("carla", register_as="Carla")
    carla.page.locator("#mensaje").press_sequentially("Hola, tengo", delay=20)
    item = admin.user_item("carla")
    expect(item.locator(".item-typing")).to_have_text("Carla está escribiendo...")
    expect(admin.page.locator("#usuarios-vacio")).to_be_hidden()
    keep_shot(admin.page, "composer-cliente-nuevo-escribiendo")
    carla.page.locator("#mensaje").press_sequentially(" una duda", delay=20)
    carla.page.get_by_role("button", name="Enviar").click()
    expect(item.locator(".item-typing")).to_have_count(0)
    expect(item.locator(".unread-count")).to_have_text("1")
    expect(admin.page.locator("#usuarios [data-user]")).to_have_count(1)


def test_logout_in_one_tab_ends_the_others_and_presence_drops_the_agent(open_chat):
    """admin logs out in one of two tabs: the other tab says the session is over and no longer
    claims anyone is online; agente2 and the customer see admin gone."""
    ana = open_chat("ana")
    ana.send("Hola")
    agente2 = open_chat("agente2")
    admin = open_chat("admin")
    colleagues = admin.page.locator(".agentes-en-linea")
    expect(colleagues).to_have_text("Agentes en línea: Admin, Agente2")
    second = admin.page.context.new_page()  # a second tab of the same browser (same login)
    second.goto(admin.base_url + "/soporte")
    expect(second.locator("#estado")).to_have_attribute("data-state", "connected")
    expect(second.locator(".agentes-en-linea")).to_have_text("Agentes en línea: Admin, Agente2")
    second_dot = second.locator('#usuarios [data-user="ana"] .presence-dot')
    expect(second_dot).to_have_attribute("data-online", "true")
    expect(second_dot).to_be_visible()

    admin.page.get_by_role("link", name="Salir").click()
    admin.page.wait_for_url("**/login")
    expect(second.locator("#estado")).to_have_attribute("data-state", "expired")
    expect(second.locator("#estado")).to_have_text("Sesión caducada")
    expect(second.locator("#reentrar")).to_be_visible()
    # its socket is gone, so it cannot know who is online: it claims no one
    expect(second.locator(".agentes-en-linea")).to_be_hidden()
    expect(second_dot).to_be_hidden()
    expect(agente2.page.locator(".agentes-en-linea")).to_have_text("Agentes en línea: Agente2")
    expect(ana.page.locator("#soporte-estado")).to_have_text("Soporte en línea")  # agente2 still is
    keep_shot(second, "composer-otra-pestana-tras-salir")
    agente2.page.get_by_role("link", name="Salir").click()
    agente2.page.wait_for_url("**/login")
    expect(ana.page.locator("#soporte-estado")).to_have_text("Soporte desconectado")


def test_switching_language_on_the_registration_page_keeps_what_was_typed(browser, live_server):
    """ES | EN on /registro: the page comes back in the other language with the username and
    name still typed; the passwords are not kept anywhere (nor in the URL)."""
    context = browser.new_context(viewport=DESKTOP, locale="es-ES")
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server.url + "/registro")
        page.get_by_label("Usuario").fill("dani.perez")
        page.get_by_label("Nombre").fill("Dani Pérez")
        page.get_by_label("Contraseña", exact=True).fill("secreto-largo")
        page.get_by_label("Repite la contraseña").fill("secreto-largo")
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_label("Username")).to_have_value("dani.perez")
        expect(page.get_by_label("Name", exact=True)).to_have_value("Dani Pérez")
        expect(page.get_by_label("Password", exact=True)).to_have_value("")
        expect(page.get_by_label("Repeat the password")).to_have_value("")
        assert "secreto" not in page.url and "dani" not in page.url
        assert "secreto" not in page.evaluate("JSON.stringify(sessionStorage)")
        keep_shot(page, "composer-registro-en")

        page.get_by_label("Name", exact=True).fill("Dani P.")
        page.get_by_role("button", name="Español").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_label("Usuario")).to_have_value("dani.perez")
        expect(page.get_by_label("Nombre")).to_have_value("Dani P.")
        # kept for one switch only: a later visit starts empty
        page.goto(live_server.url + "/registro")
        expect(page.get_by_label("Usuario")).to_have_value("")
        assert not errors, errors
    finally:
        context.close()
