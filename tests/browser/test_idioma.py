"""Spanish and English in the browser: the switch, English texts and dates, remembered across a reload."""
import re
from datetime import timezone
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from .pages import TIMESTAMP, TIMEZONE, local_time, stored, wait_until

ENGLISH_TIMESTAMP = re.compile(r"^\d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2}$")  # 25 Nov 2026, 14:05


def english_time(fecha):
    """The parts of how an English page shows a stored fecha: day, then year and time (month by name)."""
    local = fecha.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(TIMEZONE))
    return f"{local.day} ", local.strftime(" %Y, %H:%M")


def test_switch_to_english_and_back(app, open_chat):
    ana = open_chat("ana")
    admin = open_chat("admin")
    ana.send("Hola, ¿me ayudáis?")
    (row,) = wait_until(lambda: stored(app, de_usuario="ana"), what="ana's message stored")
    admin.open("ana")
    time = admin.message("Hola, ¿me ayudáis?").locator(".msg-time")
    expect(time).to_have_text(local_time(row["fecha"]))  # Spanish: as it always was

    page = admin.page
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/soporte")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#estado")).to_have_text("Connected")
    expect(page.locator("header")).to_contain_text("Logged in as: Admin (agent)")
    expect(page.locator("#usuarios-titulo")).to_have_text("Users")
    expect(page.get_by_role("link", name="Operations")).to_be_visible()
    expect(page.locator("#mensaje")).to_have_attribute("placeholder", "Choose a conversation from the list")
    admin.user_item("ana").click()
    expect(page.locator("#chat-titulo")).to_have_text("Conversation with Ana")
    time = admin.message("Hola, ¿me ayudáis?").locator(".msg-time")
    expect(time).to_have_text(ENGLISH_TIMESTAMP)
    day, rest = english_time(row["fecha"])
    shown = time.text_content()
    assert shown.startswith(day) and shown.endswith(rest), shown
    page.locator("#mensaje").fill("Of course, Ana")
    page.get_by_role("button", name="Send").click()
    expect(admin.message("Of course, Ana").locator(".msg-state")).to_have_text("Sent")
    expect(admin.message("Of course, Ana").locator(".msg-author")).to_have_text("You")
    expect(ana.message("Of course, Ana")).to_be_visible()
    expect(ana.page.locator("#estado")).to_have_text("Conectado")  # the customer's choice is her own
    admin.screenshot("chat-english")

    page.reload()  # remembered
    expect(page.locator("#estado")).to_have_text("Connected")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="Operations").click()
    expect(page).to_have_title("Operations · Support")
    expect(page.locator('#ops-minutos tr[data-minuto="0"] td').first).to_have_text("this minute")

    page.get_by_role("button", name="Español").click()
    page.wait_for_url("**/operaciones")
    expect(page).to_have_title("Operaciones · Soporte")
    page.get_by_role("link", name="Bandeja").click()
    expect(page.locator("#estado")).to_have_text("Conectado")
    page.locator('#usuarios [data-user="ana"]').click()
    expect(admin.message("Hola, ¿me ayudáis?").locator(".msg-time")).to_have_text(TIMESTAMP)


def test_english_from_the_login_page(open_chat, browser, live_server, password):
    """A visitor picks English on the login page: the form, its errors and the chat are in English."""
    context = browser.new_context(locale="es-ES", timezone_id=TIMEZONE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.get_by_role("button", name="English").click()
        expect(page).to_have_title("Log in · Support")
        page.get_by_label("Username").fill("bob")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/soporte")
        expect(page.locator("#estado")).to_have_text("Connected")
        expect(page.locator("#mensajes")).to_contain_text("No messages yet.")
    finally:
        context.close()
