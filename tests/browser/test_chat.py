"""The two views talking to each other: a customer, two agents, reload, and hostile text."""
import re

from playwright.sync_api import expect

from .pages import TIMESTAMP, classes, count_stored, local_time, stored, wait_until

ACTIVE = classes("bg-light", "text-success", "fw-bold")
UNREAD = classes("text-danger", "fw-bold")


def test_customer_and_agents_talk(app, open_chat):
    """ana writes; both agents see her in red; admin opens and replies; ana and agente2 see it."""
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    ana = open_chat("ana")
    expect(admin.page.locator("#usuarios-vacio")).to_be_visible()
    expect(admin.page.locator("#mensaje")).to_be_disabled()
    expect(admin.page.locator("#mensajes")).to_contain_text("Elige una conversación de la lista")
    expect(ana.page.locator("header")).to_contain_text("Conectado como: Ana (cliente)")

    own = ana.send("Hola, no puedo entrar en mi cuenta")
    expect(own).to_have_attribute("data-state", "sent")
    expect(own.locator(".msg-author")).to_have_text("Tú")

    # a customer writing for the first time appears at once, unread
    for agent in (admin, agente2):
        expect(agent.user_item("ana")).to_have_class(UNREAD)
        expect(agent.user_item("ana").locator(".unread-count")).to_have_text("1")
    admin.open("ana")
    expect(admin.user_item("ana")).not_to_have_class(re.compile(r"\btext-danger\b"))
    received = admin.message("Hola, no puedo entrar en mi cuenta")
    expect(received.locator(".msg-author")).to_have_text("Ana")
    expect(received.locator(".msg-author")).to_have_css("font-weight", "700")
    (row,) = wait_until(lambda: stored(app, de_usuario="ana"), what="ana's message stored")
    expect(received.locator(".msg-time")).to_have_text(local_time(row["fecha"]))
    expect(received.locator(".msg-time")).to_have_text(TIMESTAMP)
    expect(own.locator(".msg-time")).to_have_text(local_time(row["fecha"]))

    agente2.open("ana")
    expect(agente2.messages).to_have_count(1)
    admin.send("Hola Ana, te ayudo ahora mismo")
    expect(admin.message("Hola Ana, te ayudo ahora mismo")).to_have_attribute("data-state", "sent")
    reply = ana.message("Hola Ana, te ayudo ahora mismo")
    expect(reply.locator(".msg-author")).to_have_text("Admin")
    expect(reply.locator(".msg-time")).to_have_text(TIMESTAMP)
    # the other agent sees the reply, by its author, once
    seen = agente2.message("Hola Ana, te ayudo ahora mismo")
    expect(seen).to_have_count(1)
    expect(seen.locator(".msg-author")).to_have_text("Admin")
    expect(agente2.messages).to_have_count(2)

    # bob writes: he goes to the top, red; ana stays open (green)
    bob = open_chat("bob")
    bob.send("¿Cuál es el horario?")
    expect(admin.user_item("bob")).to_have_class(UNREAD)
    expect(admin.user_item("ana")).to_have_class(ACTIVE)
    assert admin.user_order() == ["bob", "ana"]
    # agents see each other's replies in the conversation they belong to; unread counts are
    # per agent: a colleague's reply is unread for an agent who has not read it (an own one never)
    agente2.send("Un momento, Ana")
    expect(admin.message("Un momento, Ana").locator(".msg-author")).to_have_text("Agente2")
    expect(agente2.page.locator("#usuarios [data-user]").first).to_have_attribute("data-user", "ana")
    admin.open("bob")
    admin.send("Enseguida te digo, Bob")
    expect(agente2.page.locator("#usuarios [data-user]").first).to_have_attribute("data-user", "bob")
    expect(agente2.user_item("bob").locator(".unread-count")).to_have_text("2")  # bob's, and admin's reply
    expect(agente2.messages).to_have_count(3)  # ana's conversation is still the one on screen
    agente2.open("bob")
    expect(agente2.messages).to_have_count(2)
    expect(agente2.message("Enseguida te digo, Bob").locator(".msg-author")).to_have_text("Admin")
    admin.open("ana")
    # ana writes again: back to the top, not red since it is open
    ana.send("Gracias")
    expect(admin.message("Gracias")).to_be_visible()
    expect(admin.page.locator("#usuarios [data-user]").first).to_have_attribute("data-user", "ana")
    expect(admin.user_item("ana")).not_to_have_class(re.compile(r"\btext-danger\b"))
    expect(admin.messages).to_have_count(4)
    # the chat box follows the newest message
    assert admin.page.locator("#mensajes").evaluate("b => b.scrollHeight - b.scrollTop - b.clientHeight") < 2

    ana.screenshot("escritorio-cliente")
    admin.screenshot("escritorio-agente")

    # reload: the history is kept on both sides, each message once, in order
    conversation = ["Hola, no puedo entrar en mi cuenta", "Hola Ana, te ayudo ahora mismo",
                    "Un momento, Ana", "Gracias"]
    ana.reload()
    expect(ana.messages).to_have_count(4)
    assert ana.texts() == conversation
    expect(ana.message("Gracias").locator(".msg-author")).to_have_text("Tú")
    admin.reload()
    expect(admin.page.locator("#usuarios [data-user]")).to_have_count(2)
    assert admin.user_order() == ["ana", "bob"]
    expect(admin.page.locator("#usuarios .bg-light")).to_have_count(0)
    admin.open("ana")
    expect(admin.messages).to_have_count(4)
    assert admin.texts() == conversation
    expect(admin.message("Hola Ana, te ayudo ahora mismo").locator(".msg-author")).to_have_text("Tú")
    wait_until(lambda: count_stored(app) == 6, what="the six messages stored")


def test_hostile_text_is_shown_literally(app, open_chat):
    """Markup in a message or a display name is text: shown as typed, nothing runs, no dialog."""
    admin = open_chat("admin")
    nombre = '<b>Carla</b><script>alert("nombre")</script>'
    carla = open_chat("carla", register_as=nombre)
    expect(carla.page.locator("header")).to_contain_text(f"Conectado como: {nombre} (cliente)")
    expect(carla.page.locator("header b")).to_have_count(0)

    xss = "<img src=x onerror=alert(1)>"
    expect(carla.send(xss)).to_have_attribute("data-state", "sent")
    expect(admin.user_item("carla")).to_have_class(UNREAD)
    admin.open("carla", nombre)  # the display name in the list, the header and on her message: as text
    expect(admin.user_item("carla").locator(".user-name")).to_have_text(nombre)
    expect(admin.message(xss)).to_have_count(1)
    expect(admin.message(xss).locator(".msg-author")).to_have_text(nombre)
    admin.send("<script>alert(2)</script> & <b>negrita</b>")
    expect(carla.message("<script>alert(2)</script> & <b>negrita</b>")).to_have_count(1)
    for chat in (admin, carla):
        expect(chat.page.locator("#chat img, #chat script, #chat b")).to_have_count(0)
    carla.reload()
    admin.reload()
    admin.open("carla", nombre)
    for chat in (admin, carla):
        expect(chat.message(xss)).to_have_count(1)
        expect(chat.page.locator("#chat img, #chat script, #chat b")).to_have_count(0)
        assert chat.dialogs == []
    (row,) = wait_until(lambda: stored(app, de_usuario="carla"), what="carla's message stored")
    assert row["mensaje"] == xss
