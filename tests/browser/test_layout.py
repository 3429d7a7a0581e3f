"""How the pages look: phone width and desktop, with screenshots for a person to check."""
from playwright.sync_api import expect

from .pages import DESKTOP, PHONE, SCREENSHOTS


def box(chat, selector):
    return chat.page.locator(selector).bounding_box()


def no_sideways_scroll(chat):
    return chat.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_phone_and_desktop_layouts(open_chat, live_server):
    """On a phone nothing overflows and the agent's open conversation has the screen; on a desktop,
    the list and the chat side by side."""
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
    # the list and the conversation are two views on a phone (test_agent_on_a_phone_...)
    expect(admin_phone.page.locator("#usuarios")).to_be_hidden()
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


def test_agent_on_a_phone_has_the_list_and_the_conversation_as_two_views(open_chat):
    """A phone shows the agent the list first; a conversation then takes the whole screen with
    "← Conversaciones" to go back. A desktop keeps both side by side, with no back button."""
    bob = open_chat("bob")
    ana = open_chat("ana")
    bob.send("Hola desde el móvil")
    ana.send("Otra consulta")
    admin = open_chat("admin", viewport=PHONE)
    page = admin.page
    back = page.get_by_role("button", name="Conversaciones")
    expect(admin.user_item("bob")).to_be_in_viewport()
    expect(page.locator("#mensajes")).to_be_hidden()
    expect(back).to_be_hidden()
    admin.screenshot("telefono-agente-lista")

    admin.open("bob")
    expect(page.locator("#usuarios")).to_be_hidden()
    expect(page.locator("#buscar")).to_be_hidden()
    expect(back).to_be_visible()
    expect(back).to_have_text("← Conversaciones")
    expect(back).to_be_in_viewport()
    expect(admin.message("Hola desde el móvil")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Enviar")).to_be_in_viewport()
    chat = box(admin, ".chat-card")
    assert chat["x"] <= 16 and chat["width"] >= PHONE["width"] - 32  # the screen's width
    assert no_sideways_scroll(admin)
    admin.send("Te leo, Bob")
    expect(bob.message("Te leo, Bob")).to_be_visible()
    admin.screenshot("telefono-agente-conversacion")

    back.click()
    expect(page.locator("#mensajes")).to_be_hidden()
    expect(admin.user_item("bob")).to_be_in_viewport()
    expect(admin.user_item("bob")).to_be_focused()  # where the agent was
    admin.open("ana")
    expect(admin.message("Otra consulta")).to_be_in_viewport()

    desktop = open_chat("agente2", viewport=DESKTOP)
    expect(desktop.page.locator("#usuarios")).to_be_visible()
    expect(desktop.page.locator("#mensajes")).to_be_visible()
    desktop.open("bob")
    expect(desktop.page.locator("#usuarios")).to_be_visible()
    expect(desktop.page.get_by_role("button", name="Conversaciones")).to_be_hidden()
