"""How the pages look: phone width and desktop, with screenshots for a person to check."""
from playwright.sync_api import expect

from .pages import DESKTOP, PHONE, SCREENSHOTS


def box(chat, selector):
    return chat.page.locator(selector).bounding_box()


def no_sideways_scroll(chat):
    return chat.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_phone_and_desktop_layouts(open_chat, live_server):
    """On a phone the list sits above the chat and nothing overflows; on a desktop, side by side."""
    long_word = "x" * 300
    bob = open_chat("bob", viewport=PHONE)
    admin_phone = open_chat("admin", viewport=PHONE)
    bob.send("Hola, escribo desde el móvil")
    bob.send(long_word)
    admin_phone.open("bob")
    admin_phone.send("Hola Bob, te leo bien en el móvil también")
    expect(bob.message("Hola Bob, te leo bien en el móvil también")).to_be_visible()

    for chat in (bob, admin_phone):
        assert no_sideways_scroll(chat)
        expect(chat.page.get_by_role("button", name="Enviar")).to_be_in_viewport()
        expect(chat.page.get_by_role("link", name="Salir")).to_be_in_viewport()
        assert box(chat, "#mensajes")["height"] == 400
    users = box(admin_phone, "#usuarios")
    assert users["y"] + users["height"] <= box(admin_phone, "#mensajes")["y"]  # stacked
    bubble = box(bob, f"#mensajes .msg:has-text('{long_word}')")
    assert bubble["x"] + bubble["width"] <= PHONE["width"]
    bob.screenshot("telefono-cliente")
    admin_phone.screenshot("telefono-agente")

    admin = open_chat("admin", viewport=DESKTOP)
    admin.open("bob")
    users = box(admin, "#usuarios")
    assert users["x"] + users["width"] <= box(admin, "#mensajes")["x"]  # side by side
    assert no_sideways_scroll(admin)

    # the login page on a phone, answering a wrong password
    context = bob.page.context.browser.new_context(viewport=PHONE, locale="es-ES")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.get_by_label("Usuario").fill("bob")
        page.get_by_label("Contraseña").fill("no-es-esta")
        page.get_by_role("button", name="Entrar").click()
        expect(page.get_by_role("alert")).to_have_text("Usuario o contraseña incorrectos")
        expect(page.get_by_label("Usuario")).to_have_value("bob")
        page.screenshot(path=str(SCREENSHOTS / "telefono-login.png"), full_page=True)
    finally:
        context.close()
