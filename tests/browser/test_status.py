"""Conversation status tabs and the stale-reply warning, with two agents and customers in Chromium."""
import re

from playwright.sync_api import expect

from .pages import stored, wait_until


def tab(chat, name):
    return chat.page.locator("#filtro-estado").get_by_role("tab", name=name)


def status_badge(chat, name):
    return chat.user_item(name).locator(".estado-conv")


def status_button(chat):
    return chat.page.locator("#cambiar-estado")


def test_tabs_filter_and_status_changes_arrive_live(app, open_chat):
    """Resolve moves a conversation to "Resueltas" for both agents at once; the customer writing
    again brings it back to "Abiertas" live; the status survives a reload."""
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    ana, bob = open_chat("ana"), open_chat("bob")
    ana.send("Hola, no puedo entrar")
    bob.send("¿Cuál es el horario?")
    for agent in (admin, agente2):
        expect(tab(agent, "Abiertas")).to_have_attribute("aria-selected", "true")
        for name in ("ana", "bob"):
            expect(agent.user_item(name)).to_be_visible()
            expect(status_badge(agent, name)).to_have_text("Abierta")

    admin.open("ana")
    expect(status_button(admin)).to_have_text("Resolver")
    status_button(admin).click()
    expect(status_button(admin)).to_have_text("Reabrir")
    for agent in (admin, agente2):  # out of the open tab on both pages, without a reload
        expect(agent.user_item("ana")).to_be_hidden()
        expect(agent.user_item("bob")).to_be_visible()
        expect(status_badge(agent, "ana")).to_have_text("Resuelta")
    agente2.page.locator("#filtro-estado").get_by_role("tab", name="Resueltas").click()
    expect(tab(agente2, "Resueltas")).to_have_attribute("aria-selected", "true")
    expect(agente2.user_item("ana")).to_be_visible()
    expect(agente2.user_item("bob")).to_be_hidden()
    agente2.screenshot("inbox-resueltas")
    tab(agente2, "Todas").click()
    expect(agente2.user_item("ana")).to_be_visible()
    expect(agente2.user_item("bob")).to_be_visible()
    tab(agente2, "Abiertas").click()
    expect(agente2.page.locator("#filtro-vacio")).to_be_hidden()

    # bob's too: "Abiertas" is empty and says so
    agente2.open("bob")
    status_button(agente2).click()
    expect(agente2.user_item("bob")).to_be_hidden()
    expect(agente2.page.locator("#filtro-vacio")).to_have_text("No hay conversaciones abiertas.")

    admin.reload()  # the status comes from the server, not from the page
    expect(admin.user_item("ana")).to_be_hidden()
    tab(admin, "Resueltas").click()
    expect(status_badge(admin, "ana")).to_have_text("Resuelta")
    expect(status_badge(admin, "bob")).to_have_text("Resuelta")

    ana.send("Sigo sin poder entrar")  # a customer's message reopens it, live for every agent
    expect(admin.user_item("ana")).to_be_hidden()  # admin is on "Resueltas"
    expect(agente2.user_item("ana")).to_be_visible()
    for agent in (admin, agente2):
        expect(status_badge(agent, "ana")).to_have_text("Abierta")
    tab(admin, "Abiertas").click()
    expect(admin.user_item("ana")).to_be_visible()
    admin.open("ana")
    expect(status_button(admin)).to_have_text("Resolver")

    # reopening by hand, from the other agent
    status_button(admin).click()
    expect(status_badge(agente2, "ana")).to_have_text("Resuelta")
    expect(agente2.user_item("ana")).to_be_hidden()
    tab(agente2, "Todas").click()
    agente2.open("ana")
    expect(status_button(agente2)).to_have_text("Reabrir")
    status_button(agente2).click()
    expect(status_badge(admin, "ana")).to_have_text("Abierta")
    expect(admin.user_item("ana")).to_be_visible()


def send(chat, text):
    """ChatPage.send, with the form's own button (a stale reply adds "Enviar de todos modos")."""
    chat.page.locator("#mensaje").fill(text)
    chat.page.locator("#form-mensaje").get_by_role("button", name="Enviar", exact=True).click()
    return chat.message(text)


def hold_back_messages(context, held):
    """Route the page's socket so that, while held["on"], messages for it wait (they are in flight)."""

    def handler(ws):
        server = ws.connect_to_server()

        def from_server(message):
            if held["on"] and isinstance(message, str) and re.match(r'^42\["mensaje_(recibido|enviado)"', message):
                held["queue"].append(message)
                return
            ws.send(message)

        def release():
            while held["queue"]:
                ws.send(held["queue"].pop(0))

        server.on_message(from_server)
        held["release"] = release

    context.route_web_socket(re.compile(r"/socket\.io/"), handler)


def test_stale_reply_shows_what_is_new_and_sends_anyway(app, open_chat):
    """admin replies without having seen ana's newer message: refused, her message shown with a
    notice, nothing delivered; "Enviar de todos modos" sends the same reply (same cid) once.
    The same when another agent answered meanwhile."""
    held = {"on": False, "queue": []}
    admin = open_chat("admin", prepare=lambda context: hold_back_messages(context, held))
    agente2 = open_chat("agente2")
    ana = open_chat("ana")
    ana.send("Hola, no puedo entrar")
    admin.open("ana")
    expect(admin.message("Hola, no puedo entrar")).to_be_visible()

    held["on"] = True  # ana's next message is still on its way to admin's page
    expect(ana.send("Ya está, era la contraseña")).to_have_attribute("data-state", "sent")
    expect(agente2.user_item("ana")).to_be_visible()
    reply = admin.send("Prueba a restablecer la contraseña")
    expect(reply).to_have_attribute("data-state", "stale")
    expect(reply.locator(".msg-error")).to_contain_text("Hay mensajes nuevos: revísalos antes de responder")
    newer = admin.message("Ya está, era la contraseña")
    expect(newer).to_have_count(1)  # from the refusal, before the live event
    expect(newer).to_have_class(re.compile(r"\bmsg-nuevo\b"))
    expect(reply.locator(".msg-retry")).to_have_count(0)
    admin.screenshot("respuesta-desfasada")
    held["on"] = False
    held["release"]()
    expect(newer).to_have_count(1)  # the live copy is the same message
    assert [m["mensaje"] for m in stored(app, de_usuario="admin")] == []
    expect(ana.message("Prueba a restablecer la contraseña")).to_have_count(0)

    reply.get_by_role("button", name="Enviar de todos modos").click()
    expect(reply).to_have_attribute("data-state", "sent")
    expect(newer).not_to_have_class(re.compile(r"\bmsg-nuevo\b"))
    expect(ana.message("Prueba a restablecer la contraseña")).to_have_count(1)
    rows = wait_until(lambda: stored(app, de_usuario="admin"), what="the reply stored")
    assert [r["mensaje"] for r in rows] == ["Prueba a restablecer la contraseña"] and rows[0]["cid"]

    # another agent answered meanwhile
    held["on"] = True
    agente2.open("ana")
    expect(send(agente2, "Me alegro, Ana")).to_have_attribute("data-state", "sent")
    late = send(admin, "¿Algo más?")
    expect(late).to_have_attribute("data-state", "stale")
    expect(admin.message("Me alegro, Ana").locator(".msg-author")).to_have_text("Agente2")
    held["on"] = False
    held["release"]()
    expect(admin.message("Me alegro, Ana")).to_have_count(1)
    # having seen everything, the next reply goes through at once
    expect(send(admin, "Cerramos entonces")).to_have_attribute("data-state", "sent")
    expect(ana.message("¿Algo más?")).to_have_count(0)
    expect(ana.message("Cerramos entonces")).to_have_count(1)
