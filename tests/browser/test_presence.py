"""Presence dots, "Soporte en línea" and typing indicators, with two agents and customers in real browsers."""
from playwright.sync_api import expect

from .pages import SCREENSHOTS, classes

HIDDEN = classes("typing-indicator", "invisible")


def dot(chat, name):
    """The presence dot of a customer in an agent's list."""
    return chat.user_item(name).locator(".presence-dot")


def support_badge(chat):
    return chat.page.locator("#soporte-estado")


def typing_line(chat):
    """The line under the open conversation that says who is typing."""
    return chat.page.locator("#escribiendo")


def type_in_box(chat, text):
    """Type into the message box as a person would (input events)."""
    chat.page.locator("#mensaje").press_sequentially(text, delay=20)


def test_presence_dots_and_support_indicator(open_chat):
    """Dots turn green and grey as customers come and go; the customer sees whether support is online."""
    bob = open_chat("bob")
    expect(support_badge(bob)).to_have_text("Soporte desconectado")
    bob.send("¿Hay alguien?")
    admin = open_chat("admin")
    expect(support_badge(bob)).to_have_text("Soporte en línea")
    expect(dot(admin, "bob")).to_have_attribute("data-online", "true")
    expect(dot(admin, "bob")).to_have_class(classes("presence-dot", "rounded-circle", "bg-success"))
    agente2 = open_chat("agente2")
    expect(admin.page.locator(".agentes-en-linea")).to_have_text("Agentes en línea: Admin, Agente2")

    second_tab = bob.page.context.new_page()  # a second tab of bob's: closing one keeps him online
    second_tab.goto(bob.base_url + "/soporte")
    expect(second_tab.locator("#estado")).to_have_attribute("data-state", "connected")
    bob.page.close()
    admin.page.wait_for_timeout(500)
    expect(dot(admin, "bob")).to_have_attribute("data-online", "true")
    second_tab.close()
    for agent in (admin, agente2):
        expect(dot(agent, "bob")).to_have_attribute("data-online", "false")
        expect(dot(agent, "bob")).to_have_attribute("title", "Desconectado")
        expect(dot(agent, "bob")).to_have_class(classes("presence-dot", "bg-secondary"))

    ana = open_chat("ana")
    expect(support_badge(ana)).to_have_text("Soporte en línea")
    admin.page.close()
    expect(support_badge(ana)).to_have_text("Soporte en línea")  # agente2 is still there
    agente2.page.close()
    expect(support_badge(ana)).to_have_text("Soporte desconectado")


def test_typing_both_ways(open_chat):
    """A customer's typing shows in the list and under the open conversation; an agent's reaches the customer
    (by the agent's display name, as on their messages) and the other agent, never the typist; a message ends it."""
    bob = open_chat("bob")
    bob.send("Necesito ayuda con una factura")
    ana = open_chat("ana")
    ana.send("Hola, tengo un problema")
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    agente2.open("ana")
    for agent in (admin, agente2):
        expect(dot(agent, "ana")).to_have_attribute("data-online", "true")
        expect(dot(agent, "bob")).to_have_attribute("data-online", "true")
    bob.page.close()
    expect(dot(admin, "bob")).to_have_attribute("data-online", "false")

    # the customer types: in admin's list (ana is not open there), under agente2's open conversation
    type_in_box(ana, "es sobre mi pedido")
    expect(admin.user_item("ana").locator(".item-typing")).to_have_text("Ana está escribiendo...")
    expect(typing_line(agente2)).to_have_text("Ana está escribiendo...")
    expect(typing_line(agente2)).to_be_visible()
    expect(typing_line(ana)).to_have_class(HIDDEN)  # the typist does not see herself
    # it goes by itself a few seconds after the last keystroke
    expect(typing_line(agente2)).to_have_class(HIDDEN)
    expect(admin.user_item("ana").locator(".item-typing")).to_have_count(0)

    # an agent types: the customer sees support typing, the other agent sees who
    admin.open("ana")
    type_in_box(admin, "un momento")
    expect(typing_line(ana)).to_have_text("Admin está escribiendo...")
    expect(typing_line(agente2)).to_have_text("Admin está escribiendo...")
    expect(typing_line(admin)).to_have_class(HIDDEN)
    type_in_box(ana, " y la factura")
    expect(typing_line(admin)).to_have_text("Ana está escribiendo...")
    admin.page.screenshot(path=str(SCREENSHOTS / "inbox-presencia-escribiendo.png"), full_page=True)

    # the message arriving ends the indicator at once, not seconds later
    admin.page.locator("#mensaje").fill("")
    admin.page.wait_for_timeout(2100)  # past the client's 2 s between events
    type_in_box(admin, "Ya lo miro")
    expect(typing_line(ana)).to_have_text("Admin está escribiendo...")
    ana.page.screenshot(path=str(SCREENSHOTS / "cliente-soporte-escribiendo.png"), full_page=True)
    admin.page.get_by_role("button", name="Enviar").click()
    expect(ana.message("Ya lo miro")).to_have_count(1)
    expect(typing_line(ana)).to_have_class(HIDDEN, timeout=1000)
