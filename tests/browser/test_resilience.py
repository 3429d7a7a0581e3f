"""Delivery when the network or the server goes away: failed, retried once, caught up, never twice."""
import re
import signal

from playwright.sync_api import expect

from .pages import classes, count_stored, seed_conversation, stored, wait_until

UNREAD = classes("text-danger", "fw-bold")


def expect_state(chat, state):
    expect(chat.page.locator("#estado")).to_have_attribute("data-state", state)


def expect_each_once(chat):
    """No message is on screen twice (by id)."""
    ids = chat.page.locator("#mensajes .msg[data-id]").evaluate_all("ms => ms.map(m => m.dataset.id)")
    assert len(ids) == len(set(ids)), ids


def test_send_while_server_is_down_is_sent_once_on_reconnect(app, open_chat, live_server):
    """Sent with the server stopped: waiting for the connection (no retry button to press);
    once the server is back the page sends it by itself with the same cid, and it is stored
    and shown exactly once."""
    admin = open_chat("admin")
    ana = open_chat("ana")
    expect(ana.send("Antes del corte")).to_have_attribute("data-state", "sent")
    admin.open("ana")
    expect(admin.message("Antes del corte")).to_be_visible()
    wait_until(lambda: count_stored(app) == 1, what="the first message stored")

    live_server.stop(signal.SIGINT)  # gunicorn's quick shutdown: the sockets drop at once
    expect_state(ana, "reconnecting")
    expect_state(admin, "reconnecting")
    expect(ana.page.locator("#estado")).to_have_text("Reconectando…")
    waiting = ana.send("Durante el corte")
    expect(waiting).to_have_attribute("data-state", "waiting")
    expect(waiting.locator(".msg-state")).to_contain_text("No enviado")
    expect(waiting.locator(".msg-error")).to_have_text("Sin conexión: se enviará al volver la conexión")
    expect(waiting.locator(".msg-retry")).to_have_count(0)  # nothing for the user to do
    ana.screenshot("escritorio-cliente-esperando")
    assert count_stored(app) == 1

    live_server.start()  # same port, same database
    ana.expect_connected()
    admin.expect_connected()
    expect(waiting).to_have_attribute("data-state", "sent")
    expect(waiting.locator(".msg-retry, .msg-error")).to_have_count(0)
    expect(admin.message("Durante el corte")).to_have_count(1)
    (row,) = wait_until(lambda: stored(app, mensaje="Durante el corte"), what="the message stored")
    assert row["de_usuario"] == "ana" and row["cid"]
    assert waiting.get_attribute("data-id") == str(row["id"])
    assert count_stored(app) == 2
    for chat in (ana, admin):
        chat.reload()
    admin.open("ana")
    for chat in (ana, admin):
        expect(chat.message("Durante el corte")).to_have_count(1)
        expect(chat.messages).to_have_count(2)


def test_a_refused_message_keeps_its_retry_button_and_is_not_resent_on_reconnect(app, open_chat):
    """The server refused it (ack ok:false): "Reintentar" stays, and a reconnect does not send it
    again; only the user's click does (with the same cid)."""
    sent_frames = []
    refuse = {"on": True}

    def from_page(message):
        """What the page sends, kept; while refuse is on, "Rechazado" goes to a forbidden recipient."""
        sent_frames.append(message)
        if refuse["on"] and "Rechazado" in message:
            message = message.replace('"para":"admin"', '"para":"nadie"')
        return message

    def route_socket(context):
        # Socket.IO starts on HTTP long-polling and upgrades: a message may leave by either
        def websocket(ws):
            server = ws.connect_to_server()
            ws.on_message(lambda m: server.send(from_page(m) if isinstance(m, str) else m))

        def polling(route):
            body = route.request.post_data if route.request.method == "POST" else None
            if body is None:
                route.continue_()
            else:
                route.continue_(post_data=from_page(body))

        context.route_web_socket(re.compile(r"/socket\.io/"), websocket)
        context.route(re.compile(r"/socket\.io/"), polling)

    ana = open_chat("ana", prepare=route_socket)
    refused = ana.send("Rechazado")
    expect(refused).to_have_attribute("data-state", "failed")
    expect(refused.locator(".msg-error")).to_have_text("Solo puedes escribir a soporte")
    expect(refused.locator(".msg-retry")).to_be_visible()
    ana.screenshot("escritorio-cliente-rechazado")

    ana.page.context.set_offline(True)
    expect_state(ana, "reconnecting")
    ana.page.context.set_offline(False)
    ana.expect_connected()
    # messages of one socket are handled in order: a resend on reconnect would be stored before this one
    expect(ana.send("Después")).to_have_attribute("data-state", "sent")
    wait_until(lambda: count_stored(app) == 1, what="the later message stored")
    assert [r["mensaje"] for r in stored(app)] == ["Después"]
    expect(refused).to_have_attribute("data-state", "failed")
    expect(refused.locator(".msg-retry")).to_be_visible()
    assert sum("Rechazado" in f for f in sent_frames) == 1

    refuse["on"] = False
    refused.locator(".msg-retry").click()
    expect(refused).to_have_attribute("data-state", "sent")
    wait_until(lambda: [r["mensaje"] for r in stored(app)] == ["Después", "Rechazado"],
               what="the retried message stored after the later one")
    rechazado = [f for f in sent_frames if "Rechazado" in f]
    assert len(rechazado) == 2 and len({re.search(r'"cid":"(\w+)"', f).group(1) for f in rechazado}) == 1


def test_lost_acknowledgement_is_recognised_by_the_catch_up(app, open_chat):
    """The server got the message but the ack was lost with the connection: the catch-up after
    the reconnect brings it back with its cid, so the failed copy becomes the sent one, and the
    message ends up once on every screen and in the table (a retry of that cid would get the
    original ack: tests/test_events.py)."""
    lose_next_ack = {"on": False}

    def route_socket(context):
        def handler(ws):
            server = ws.connect_to_server()

            def from_server(message):
                # an acknowledgement is the Socket.IO packet "3" in Engine.IO message "4"
                if lose_next_ack["on"] and isinstance(message, str) and re.match(r"^43\d*\[", message):
                    lose_next_ack["on"] = False
                    ws.close()
                    return
                ws.send(message)

            server.on_message(from_server)

        context.route_web_socket(re.compile(r"/socket\.io/"), handler)

    admin = open_chat("admin")
    ana = open_chat("ana", prepare=route_socket)
    expect(ana.send("Primero")).to_have_attribute("data-state", "sent")
    admin.open("ana")
    lose_next_ack["on"] = True
    text = "¿Me llega este?"
    ana.send(text)
    # waiting for the connection: sent again by itself (the same cid gets the first ack back)
    expect(ana.message(text).locator(".msg-error")).to_have_text(
        "Se cortó la conexión: se enviará al volver la conexión")
    # it did arrive: the agent has it, and ana's catch-up after the reconnect brings it too
    expect(admin.message(text)).to_have_count(1)
    ana.expect_connected()
    expect(ana.message(text)).to_have_attribute("data-state", "sent")
    expect(ana.message(text)).to_have_count(1)
    expect(ana.message(text).locator(".msg-retry, .msg-error")).to_have_count(0)
    expect_each_once(ana)
    expect(admin.message(text)).to_have_count(1)
    wait_until(lambda: count_stored(app) == 2, what="both messages stored")
    (row,) = stored(app, mensaje=text)
    assert ana.message(text).get_attribute("data-id") == str(row["id"])


def test_reconnect_catches_up_without_duplicates(app, open_chat):
    """What happens while a page is offline shows up after it reconnects, each message once:
    in the open conversation, in the list (order, and unread marks), and on the customer's side."""
    seed_conversation(app, "bob", "admin", 2)  # bob wrote before; admin answered
    admin = open_chat("admin")
    agente2 = open_chat("agente2")
    ana = open_chat("ana")
    carla = open_chat("carla", register_as="Carla")  # no conversation yet
    ana.send("Hola")
    admin.open("ana")
    expect(admin.message("Hola")).to_be_visible()
    assert admin.user_order() == ["ana", "bob"]

    admin.page.context.set_offline(True)
    expect_state(admin, "reconnecting")
    ana.send("¿Sigues ahí?")
    ana.send("Tengo otra pregunta")
    agente2.open("ana")
    agente2.send("Te atiendo yo")
    bob = open_chat("bob")
    bob.send("Hola otra vez")
    bob.send("¿Hay alguien?")
    carla.send("Hola, soy Carla")
    expect(agente2.user_item("carla")).to_be_visible()
    wait_until(lambda: count_stored(app) == 9, what="nine messages stored")
    admin.page.context.set_offline(False)
    admin.expect_connected()
    expected = ["Hola", "¿Sigues ahí?", "Tengo otra pregunta", "Te atiendo yo"]
    expect(admin.messages).to_have_count(4)
    assert admin.texts() == expected
    expect(admin.message("Te atiendo yo").locator(".msg-author")).to_have_text("Agente2")
    # a new conversation and one that moved up: both unread, with how many are waiting
    expect(admin.user_item("carla")).to_have_class(UNREAD)
    expect(admin.user_item("carla").locator(".unread-count")).to_have_text("1")
    expect(admin.user_item("bob")).to_have_class(UNREAD)
    # admin never opened bob's conversation: the seeded message of bob's is unread too
    expect(admin.user_item("bob").locator(".unread-count")).to_have_text("3")
    expect(admin.user_item("ana")).not_to_have_class(re.compile(r"\btext-danger\b"))
    assert admin.user_order() == ["carla", "bob", "ana"]
    admin.screenshot("escritorio-agente-sin-leer")
    # live again: a new message arrives once, next to the caught-up ones
    ana.send("Ya está")
    expect(admin.message("Ya está")).to_have_count(1)
    expect(admin.messages).to_have_count(5)
    expect_each_once(admin)

    # the customer's side: offline while two agents answer
    ana.page.context.set_offline(True)
    expect_state(ana, "reconnecting")
    admin.send("Respuesta 1")
    agente2.send("Respuesta 2")
    wait_until(lambda: count_stored(app) == 12, what="twelve messages stored")
    ana.page.context.set_offline(False)
    ana.expect_connected()
    expect(ana.messages).to_have_count(7)
    assert ana.texts() == expected + ["Ya está", "Respuesta 1", "Respuesta 2"]
    expect_each_once(ana)
