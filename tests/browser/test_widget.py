"""The embeddable widget on another site: the snippet on a host page of another origin (and site:
localhost vs 127.0.0.1), in Chromium with third-party cookies blocked.

The host page is served by a tiny http.server; soporte is the real server process. The widget
lives in an iframe of soporte's origin, so the host page can neither read nor style it.
"""
import hashlib
import hmac
import http.server
import re
import signal
import socketserver
import threading
import time
from html import escape
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from soporte.extensions import db
from soporte.models import Usuario

from conftest import LiveServer, free_port, make_token
from .conftest import CHROMIUM, CHROMIUM_ARGS
from .pages import DESKTOP, PHONE, SCREENSHOTS, TIMEZONE, count_stored, stored, wait_until
from .test_attachments import PDF, drop_files, paste_image, png, thumbnail_loaded

SECRET = "secreto-de-la-tienda-para-firmar-ids"
# a host page that tries its worst on what it embeds: none of it may reach the widget
HOSTILE_CSS = "* { font-size: 40px !important; } button { background: red !important; display: none !important; } " \
              "iframe { display: none !important; } div { opacity: .1 !important; }"


def signature(external_id, secret=SECRET):
    """What the host site's backend computes for its logged-in user: HMAC-SHA256(secret, id), hex."""
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


class HostSite:
    """Another website: GET /?attr=value... answers an HTML page with soporte's snippet (data-<attr>)."""

    def __init__(self):
        self.soporte_url = None
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                attrs = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                body = site.page(attrs).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        # another site than soporte's 127.0.0.1: its cookies there are third-party cookies
        self.origin = f"http://localhost:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, attrs):
        data = " ".join(f'data-{escape(k)}="{escape(v)}"' for k, v in attrs.items())
        return (f'<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Tienda</title>'
                f"<style>{HOSTILE_CSS}</style></head><body><h1>Tienda de ejemplo</h1>"
                f"<p>Nuestros productos.</p>"
                f'<script src="{self.soporte_url}/widget.js" {data} async></script></body></html>')

    def url(self, origin=None, **attrs):
        return f"{origin or self.origin}/?{urlencode(attrs)}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Chromium with third-party cookies blocked, as browsers ship them now."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield browser
        browser.close()


@pytest.fixture
def host_site():
    site = HostSite()
    yield site
    site.close()


@pytest.fixture
def widget_settings(request):
    """The widget's settings of a test (indirect parametrization), over these defaults."""
    return getattr(request, "param", {})


@pytest.fixture
def live_server(app, tmp_path, host_site, widget_settings):
    """soporte allowing the host site to embed it (the open_chat fixture's server too)."""
    settings = {"WIDGET_ORIGINS": host_site.origin, "IDENTITY_SECRET": SECRET, "PRECHAT_FIELDS": "nombre",
                "GUEST_RATE_LIMIT": "50 per hour", **widget_settings}
    server = LiveServer(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                        extra_env={f"SOPORTE_{k}": v for k, v in settings.items()})
    server.start()
    host_site.soporte_url = server.url
    yield server
    server.stop()


class Visitor:
    """One browser context on the host site, with soporte's launcher and iframe."""

    def __init__(self, browser, site, soporte_url, viewport=DESKTOP):
        self.context = browser.new_context(viewport=viewport, timezone_id=TIMEZONE, locale="es-ES")
        self.page = self.context.new_page()
        self.site = site
        self.soporte_url = soporte_url
        self.errors, self.console, self.cookies_sent = [], [], []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("request", self._request)
        self.launcher = self.page.get_by_role("button", name=re.compile("chat de soporte"))
        self.frame = self.page.frame_locator("iframe#soporte-chat")

    def _request(self, request):
        if request.url.startswith(self.soporte_url) and "cookie" in request.all_headers():
            self.cookies_sent.append(request.url)

    def visit(self, origin=None, **attrs):
        self.page.goto(self.site.url(origin, **attrs))
        expect(self.launcher).to_be_visible()
        return self

    def open(self):
        self.launcher.click()
        expect(self.launcher).to_have_attribute("aria-expanded", "true")
        return self

    def prechat(self, nombre):
        self.frame.get_by_label("Nombre").fill(nombre)
        self.frame.get_by_role("button", name="Empezar a chatear").click()
        self.expect_connected()

    def expect_connected(self):
        expect(self.frame.locator("#estado")).to_have_attribute("data-state", "connected")

    def message(self, text):
        return self.frame.locator("#mensajes .msg").filter(
            has=self.frame.locator(".msg-text").get_by_text(text, exact=True))

    def send(self, text):
        self.frame.locator("#mensaje").fill(text)
        self.frame.get_by_role("button", name="Enviar", exact=True).click()
        return self.message(text)

    def token(self):
        """The guest's token: in the frame's storage, or where the browser refuses a third-party frame any
        (Chromium with third-party cookies blocked), in the host site's, kept there by the loader."""
        own = self.page.frames[1].evaluate(
            "(() => { try { return localStorage.getItem('soporte.widget.token'); } catch (e) { return null; } })()")
        return own or self.page.evaluate("localStorage.getItem('soporte.widget.token')")

    def screenshot(self, name):
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def visitor(browser, host_site, live_server):
    """Make visitors of the host site; at the end, no script error or CSP refusal on their pages, no cookie sent to soporte."""
    made = []

    def make(viewport=DESKTOP):
        v = Visitor(browser, host_site, live_server.url, viewport)
        made.append(v)
        return v

    yield make
    for v in made:
        v.context.close()
    for v in made:
        assert not v.errors, f"JavaScript errors: {v.errors}"
        # the widget's page under soporte's CSP: nothing refused (the not-allowed site's frame-ancestors aside)
        refused = [text for text in v.console if "Content Security Policy" in text and "frame-ancestors" not in text]
        assert not refused, f"refused by the Content-Security-Policy: {refused}"
        assert not v.cookies_sent, f"cookies went to soporte from the widget: {v.cookies_sent}"


def customers(app, **filters):
    with app.app_context():
        return db.session.scalars(select(Usuario).filter_by(rol="user", **filters)).all()


def test_guest_writes_agent_answers_and_the_reload_shows_the_history(app, visitor, open_chat):
    """A visitor of another site writes as a guest (the pre-chat form's name), an agent answers in the
    inbox, the launcher counts it while closed, and after a reload the history is there."""
    admin = open_chat("admin")
    guest = visitor().visit()
    guest.screenshot("widget-lanzador")
    # the host page's CSS hides every button and iframe of its own: not the widget's
    assert guest.launcher.evaluate("b => getComputedStyle(b).display") == "flex"
    guest.open()
    expect(guest.frame.get_by_label("Nombre")).to_be_visible()
    guest.screenshot("widget-formulario")
    guest.prechat("Lucía")
    # the browser keeps no third-party cookie in the frame: the widget lives on its token
    frame = guest.page.frames[1]
    frame.evaluate("document.cookie = 'sonda=1; SameSite=None; Secure'")
    assert "sonda" not in frame.evaluate("document.cookie")
    assert guest.token()

    expect(guest.send("Hola, ¿tenéis envíos a Canarias?")).to_have_attribute("data-state", "sent")
    (row,) = wait_until(lambda: stored(app, mensaje="Hola, ¿tenéis envíos a Canarias?"), what="the message stored")
    (cliente,) = customers(app, invitado=True)
    assert row["de_usuario"] == cliente.usuario and cliente.nombre == "Lucía"

    admin.open(cliente.usuario, "Lucía")
    guest.launcher.click()  # closed: the answer is counted on the launcher
    expect(guest.launcher).to_have_attribute("aria-expanded", "false")
    admin.send("Sí, en 48 horas")
    expect(guest.launcher).to_have_accessible_name(re.compile(r"1 mensaje sin leer"))
    guest.screenshot("widget-lanzador-sin-leer")
    guest.open()
    expect(guest.message("Sí, en 48 horas")).to_be_visible()
    expect(guest.launcher).to_have_accessible_name("Cerrar el chat de soporte")
    guest.screenshot("widget-abierto")

    guest.page.reload()
    expect(guest.launcher).to_be_visible()
    guest.open()
    guest.expect_connected()
    expect(guest.frame.get_by_label("Nombre")).to_be_hidden()  # the same guest: no form again
    expect(guest.message("Hola, ¿tenéis envíos a Canarias?")).to_have_count(1)
    expect(guest.message("Sí, en 48 horas")).to_have_count(1)
    assert len(customers(app, invitado=True)) == 1


def test_files_and_images_both_ways_through_the_bearer_header(app, visitor, open_chat):
    """The widget attaches as the chat page does (the clip, a drop, a paste) with its bearer token, and
    draws what it gets through blob: URLs fetched with it: thumbnails load, the full size opens in the
    frame, a file downloads with its bytes; no cookie, no CSP refusal (the visitor fixture checks)."""
    admin = open_chat("admin")
    guest = visitor().visit().open()
    guest.prechat("Lucía")
    api_calls = []
    guest.page.on("request", lambda r: "/api/" in r.url and api_calls.append(r.url))
    frame = guest.page.frames[1]
    chip = guest.frame.locator("#adjuntos-pendientes .adjunto-pendiente")

    # an image with the clip button, and a text
    guest.frame.locator("#archivos").set_input_files(
        [{"name": "captura.png", "mimeType": "image/png", "buffer": png()}])
    expect(chip).to_have_attribute("data-estado", "listo")
    guest.screenshot("widget-adjunto-pendiente")
    expect(guest.send("No me carga el carrito")).to_have_attribute("data-state", "sent")
    expect(chip).to_have_count(0)
    mine = guest.message("No me carga el carrito").locator("img.adjunto-miniatura")
    wait_until(lambda: thumbnail_loaded(mine), what="the guest's own thumbnail")
    assert mine.get_attribute("src").startswith("blob:")
    # a PDF dropped on the conversation, sent with no text
    drop_files(frame, "#mensajes", [("factura-marzo.pdf", "application/pdf", PDF)])
    expect(chip).to_have_attribute("data-estado", "listo")
    guest.frame.get_by_role("button", name="Enviar", exact=True).click()
    expect(guest.frame.locator("#mensajes .adjunto-archivo .adjunto-nombre")).to_have_text("factura-marzo.pdf")
    # the requests carried the widget's language (the server's texts in it) and no cookie
    assert any("/api/adjuntos?lang=es" in url for url in api_calls), api_calls

    (cliente,) = customers(app, invitado=True)
    rows = wait_until(lambda: (found := stored(app, de_usuario=cliente.usuario)) and len(found) == 2 and found,
                      what="both messages stored")
    assert rows[0]["mensaje"].startswith("No me carga el carrito\n📎 captura.png: /api/adjuntos/")
    assert rows[1]["mensaje"].startswith("📎 factura-marzo.pdf: /api/adjuntos/")

    # the agent sees them, and answers with a pasted screenshot
    admin.open(cliente.usuario, "Lucía")
    seen = admin.message("No me carga el carrito").locator("img.adjunto-miniatura")
    wait_until(lambda: thumbnail_loaded(seen), what="the agent's thumbnail")
    expect(admin.page.locator("#mensajes .adjunto-archivo .adjunto-nombre")).to_have_text("factura-marzo.pdf")
    paste_image(admin.page, png((300, 200), (200, 60, 60)))
    expect(admin.page.locator("#adjuntos-pendientes .adjunto-pendiente")).to_have_attribute("data-estado", "listo")
    admin.send("Prueba ahora, ya está arreglado")
    reply = guest.message("Prueba ahora, ya está arreglado").locator("img.adjunto-miniatura")
    expect(reply).to_be_visible()
    wait_until(lambda: thumbnail_loaded(reply), what="the reply's thumbnail in the widget")
    assert reply.evaluate("img => img.naturalWidth") > 0

    # the full size: a dialog in the frame with the image (a blob: URL), closed by Escape, the widget stays open
    reply.click()
    viewer = guest.frame.locator("dialog.adjunto-visor")
    expect(viewer).to_be_visible()
    wait_until(lambda: thumbnail_loaded(viewer.locator("img")), what="the full-size image")
    assert viewer.locator("img").evaluate("img => img.naturalWidth") == 300
    guest.screenshot("widget-adjuntos-imagen")
    guest.page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(guest.launcher).to_have_attribute("aria-expanded", "true")

    # the PDF downloads with its name and its bytes, fetched with the header
    with guest.page.expect_download() as downloading:
        guest.frame.locator("#mensajes .adjunto-archivo").click()
    download = downloading.value
    assert download.suggested_filename == "factura-marzo.pdf"
    with open(download.path(), "rb") as saved:
        assert saved.read() == PDF
    guest.frame.locator("#mensajes").evaluate("box => box.scrollTop = box.scrollHeight")
    guest.screenshot("widget-adjuntos")

    # after a reload (the REST history) the same, drawn the same way
    guest.page.reload()
    guest.open()
    guest.expect_connected()
    thumbnails = guest.frame.locator("#mensajes img.adjunto-miniatura")
    expect(thumbnails).to_have_count(2)
    wait_until(lambda: all(thumbnail_loaded(i) for i in thumbnails.all()), what="thumbnails after the reload")


def test_an_english_widget_asks_the_server_in_english(app, visitor):
    """data-idioma="en": the widget's API calls say ?lang=en (it has no language cookie of ours), so
    the guest it creates with an address gets the emails in English; an upload refused says why in English."""
    guest = visitor()
    guest.launcher = guest.page.get_by_role("button", name=re.compile("support chat"))
    guest.visit(idioma="en").open()
    form = guest.frame.locator("#prechat")  # nobody online: the form asks for an email too
    form.get_by_label("Name").fill("Lucy")
    form.get_by_label("Email address").fill("lucy@example.com")
    guest.frame.get_by_role("button", name="Start chatting").click()
    guest.expect_connected()
    (cliente,) = customers(app, invitado=True)
    assert cliente.idioma == "en" and cliente.email == "lucy@example.com"

    attach = guest.frame.get_by_role("button", name="Attach files")
    expect(attach).to_be_enabled()
    guest.frame.locator("#archivos").set_input_files(
        [{"name": "foto.png", "mimeType": "image/png", "buffer": b"<!DOCTYPE html><html><script></script></html>"}])
    chip = guest.frame.locator("#adjuntos-pendientes .adjunto-pendiente")
    expect(chip).to_have_attribute("data-estado", "error")
    expect(chip.locator(".adjunto-estado")).to_have_text("That type of file is not allowed")


def test_a_verified_user_on_two_devices_is_one_customer(app, visitor):
    """The host site's logged-in user (id, name, email and the HMAC of the id) is the same customer
    on two browsers: what one writes, the other shows."""
    ident = {"usuario-id": "tienda-42", "usuario-nombre": "Marta Ruiz", "usuario-email": "marta@example.com",
             "usuario-hash": signature("tienda-42")}
    laptop = visitor().visit(**ident).open()
    laptop.expect_connected()
    expect(laptop.frame.get_by_label("Nombre")).to_be_hidden()  # known: no pre-chat form
    expect(laptop.send("Escribo desde el portátil")).to_have_attribute("data-state", "sent")

    phone = visitor().visit(**ident).open()
    phone.expect_connected()
    expect(phone.message("Escribo desde el portátil")).to_be_visible()
    expect(phone.send("Y ahora desde el móvil")).to_have_attribute("data-state", "sent")
    expect(laptop.message("Y ahora desde el móvil")).to_be_visible()

    (marta,) = customers(app, externo_id="tienda-42")
    assert marta.nombre == "Marta Ruiz" and not marta.invitado
    rows = wait_until(lambda: len(stored(app, de_usuario=marta.usuario)) == 2 and stored(app, de_usuario=marta.usuario))
    assert {r["mensaje"] for r in rows} == {"Escribo desde el portátil", "Y ahora desde el móvil"}
    assert len(customers(app)) == 3  # ana and bob of the fixture, and Marta: nobody else
    # a verified user's token never goes to the host site's storage: the identity is asked again each visit
    assert laptop.page.evaluate("localStorage.getItem('soporte.widget.token')") is None


def test_a_wrong_hmac_is_refused(app, visitor):
    """An id signed with another secret: the widget says it could not verify, and no conversation starts."""
    forger = visitor().visit(**{"usuario-id": "tienda-42", "usuario-nombre": "Marta",
                                "usuario-hash": signature("tienda-42", secret="otro-secreto")}).open()
    expect(forger.frame.get_by_role("alert")).to_contain_text("No hemos podido verificar tu identidad")
    expect(forger.frame.locator("#mensaje")).to_be_hidden()
    expect(forger.frame.get_by_label("Nombre")).to_be_hidden()
    assert forger.token() is None
    assert customers(app, externo_id="tienda-42") == []
    assert count_stored(app) == 0


def test_a_site_not_allowed_cannot_frame_the_widget(app, visitor, host_site):
    """The same host page on an origin that is not in WIDGET_ORIGINS: the browser refuses the frame
    (frame-ancestors) and nothing of the chat loads in it."""
    intruder = visitor()
    intruder.visit(origin=f"http://127.0.0.1:{host_site.port}").open()
    wait_until(lambda: any("frame-ancestors" in text for text in intruder.console), what="the CSP refusal")
    expect(intruder.frame.locator("#chat")).to_have_count(0)
    assert count_stored(app) == 0


def test_the_host_page_cannot_read_the_conversation(visitor):
    """The host page's scripts see an iframe of another origin: no document, nothing of the conversation."""
    guest = visitor().visit().open()
    guest.prechat("Lucía")
    expect(guest.send("Mi pedido es el 12345")).to_have_attribute("data-state", "sent")
    seen = guest.page.evaluate("""() => {
        const frame = document.querySelector('[data-soporte-widget]').shadowRoot.querySelector('iframe');
        let body;
        try { body = frame.contentWindow.document.body.innerText; } catch (error) { body = 'refused: ' + error.name; }
        return { document: frame.contentDocument, body, text: document.body.innerText };
    }""")
    assert seen["document"] is None
    assert seen["body"] == "refused: SecurityError"
    assert "12345" not in seen["text"]

    # the customer's own message is edited in place, as on the chat page (Escape there cancels the edit only)
    mine = guest.message("Mi pedido es el 12345")
    mine.hover()
    mine.get_by_role("button", name="Editar").click()
    edit = guest.frame.locator("textarea.msg-edicion")
    edit.press("Escape")
    expect(edit).to_have_count(0)
    expect(guest.launcher).to_have_attribute("aria-expanded", "true")
    mine.hover()
    mine.get_by_role("button", name="Editar").click()
    edit.fill("Mi pedido es el 12346")
    edit.press("Enter")
    expect(guest.message("Mi pedido es el 12346")).to_be_visible()


@pytest.mark.slow
def test_what_is_typed_while_the_server_is_down_is_sent_once_when_it_is_back(app, visitor, live_server):
    """The server stops: the widget says it is reconnecting and keeps taking messages; once it is back
    they go, each stored once (one row per cid), and the widget catches up an answer it missed."""
    guest = visitor().visit().open()
    guest.prechat("Lucía")
    expect(guest.send("Antes del corte")).to_have_attribute("data-state", "sent")

    live_server.stop(signal.SIGINT)
    expect(guest.frame.locator("#estado")).to_have_text("Reconectando…")
    first = guest.send("Durante el corte, uno")
    second = guest.send("Durante el corte, dos")
    for waiting in (first, second):
        expect(waiting).to_have_attribute("data-state", "waiting")
    expect(guest.frame.locator("#mensaje")).to_be_editable()

    live_server.start()
    guest.expect_connected()
    for sent in (first, second):
        expect(sent).to_have_attribute("data-state", "sent")
    rows = wait_until(lambda: len(stored(app)) == 3 and stored(app), what="three rows")
    cids = [r["cid"] for r in rows]
    assert len(set(cids)) == 3 and all(cids)
    assert [r["mensaje"] for r in rows] == ["Antes del corte", "Durante el corte, uno", "Durante el corte, dos"]
    guest.page.reload()
    guest.open()
    guest.expect_connected()
    for text in ("Antes del corte", "Durante el corte, uno", "Durante el corte, dos"):
        expect(guest.message(text)).to_have_count(1)


@pytest.mark.slow
def test_a_lost_network_catches_up_the_reply_it_missed_and_sends_what_waited(app, visitor, open_chat):
    """The visitor's network goes away while support answers: the widget says it is reconnecting,
    keeps taking what is typed, and once back shows the missed reply once and sends the typed one once."""
    admin = open_chat("admin")
    guest = visitor().visit().open()
    guest.prechat("Lucía")
    expect(guest.send("¿Seguís ahí?")).to_have_attribute("data-state", "sent")
    (cliente,) = customers(app, invitado=True)
    admin.open(cliente.usuario, "Lucía")

    guest.context.set_offline(True)
    expect(guest.frame.locator("#estado")).to_have_text("Reconectando…")
    admin.send("Sí, dime")
    waiting = guest.send("Perdón, se me fue la conexión")
    expect(waiting).to_have_attribute("data-state", "waiting")
    expect(guest.message("Sí, dime")).to_have_count(0)

    guest.context.set_offline(False)
    guest.expect_connected()
    expect(waiting).to_have_attribute("data-state", "sent")
    expect(guest.message("Sí, dime")).to_have_count(1)
    expect(admin.message("Perdón, se me fue la conexión")).to_have_count(1)
    rows = wait_until(lambda: len(stored(app)) == 3 and stored(app), what="three rows")
    assert len({r["cid"] for r in rows}) == 3


@pytest.mark.slow
@pytest.mark.parametrize("widget_settings", [{"GUEST_RATE_LIMIT": "2 per hour", "PRECHAT_FIELDS": ""}],
                         indirect=True)
def test_guest_creation_is_rate_limited(app, visitor, open_chat):
    """Without a pre-chat form the first message creates the guest; past the limit per address the
    widget says so and keeps what was typed."""
    open_chat("admin")  # support online: no form for an email
    for n in (1, 2):
        guest = visitor().visit().open()
        expect(guest.send(f"Soy el invitado {n}")).to_have_attribute("data-state", "sent")
    third = visitor().visit().open()
    third.frame.locator("#mensaje").fill("Soy el tercero")
    third.frame.get_by_role("button", name="Enviar", exact=True).click()
    expect(third.frame.get_by_role("alert")).to_contain_text("Demasiados chats nuevos")
    expect(third.frame.locator("#mensaje")).to_have_value("Soy el tercero")
    assert len(customers(app, invitado=True)) == 2
    assert third.token() is None


def test_offline_the_widget_says_so_and_asks_for_an_email(app, visitor):
    """Nobody in support online: the pre-chat form also asks for an email, and says why."""
    guest = visitor().visit().open()
    form = guest.frame.locator("#prechat")
    expect(guest.frame.locator("#horario-aviso")).to_contain_text("Ahora no hay nadie conectado")
    expect(form.get_by_label("Correo electrónico")).to_be_visible()
    expect(form).to_contain_text("te enviaremos la respuesta a este correo")
    form.get_by_label("Nombre").fill("Lucía")
    form.get_by_label("Correo electrónico").fill("lucia@example.com")
    guest.screenshot("widget-fuera-de-linea-formulario")
    guest.frame.get_by_role("button", name="Empezar a chatear").click()
    guest.expect_connected()
    expect(guest.frame.locator("#horario-aviso")).to_contain_text("Ahora no hay nadie conectado")
    guest.screenshot("widget-fuera-de-linea")
    (cliente,) = customers(app, invitado=True)
    assert cliente.email == "lucia@example.com"

    # no address in the form: the offline notice's own email form (#11) saves it with the widget's token
    other = visitor().visit().open()
    other.frame.locator("#prechat").get_by_label("Nombre").fill("Pablo")
    other.frame.get_by_role("button", name="Empezar a chatear").click()
    other.expect_connected()
    ask = other.frame.locator("#pedir-email")
    expect(ask).to_be_visible()
    ask.get_by_label("Tu correo electrónico").fill("pablo@example.com")
    ask.get_by_role("button", name="Avisarme por correo").click()
    expect(ask).to_be_hidden()
    wait_until(lambda: [c.email for c in customers(app, nombre="Pablo")] == ["pablo@example.com"],
               what="Pablo's address saved")


def test_the_snippet_sets_language_position_colour_and_greeting(visitor):
    """data-idioma, data-posicion, data-color and data-saludo: the launcher and the chat in English,
    on the left, in the site's colour, with its greeting."""
    guest = visitor()
    guest.launcher = guest.page.get_by_role("button", name=re.compile("support chat"))
    guest.visit(idioma="en", posicion="izquierda", color="#198754", saludo="Hi! Ask us anything.")
    assert guest.launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(25, 135, 84)"
    assert guest.launcher.bounding_box()["x"] < 100
    guest.launcher.click()
    expect(guest.launcher).to_have_accessible_name("Close the support chat")
    expect(guest.frame.locator("#widget-saludo")).to_have_text("Hi! Ask us anything.")
    expect(guest.frame.get_by_role("button", name="Start chatting")).to_be_visible()
    expect(guest.frame.locator("html")).to_have_attribute("lang", "en")
    guest.screenshot("widget-english-izquierda")
    guest.frame.get_by_role("button", name="Close the chat").click()
    expect(guest.launcher).to_have_attribute("aria-expanded", "false")
    expect(guest.launcher).to_be_focused()


def test_on_a_phone_the_chat_fits_the_screen(visitor, open_chat):
    """A phone's narrow screen: the open chat stays within it, above the launcher, and writes."""
    open_chat("admin")
    guest = visitor(PHONE).visit().open()
    guest.prechat("Lucía")
    expect(guest.send("Desde el móvil")).to_have_attribute("data-state", "sent")
    frame = guest.page.locator("iframe#soporte-chat").bounding_box()
    launcher = guest.launcher.bounding_box()
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= PHONE["width"]
    assert frame["y"] >= 0 and frame["y"] + frame["height"] <= launcher["y"]
    guest.screenshot("widget-movil")


def test_an_expired_guest_token_starts_afresh(visitor):
    """A guest back after their token expired (JWT_EXPIRES): the pre-chat form again, not an error."""
    guest = visitor().visit()
    old = make_token(user="invitado-00000000", expires_in=-60)
    guest.page.evaluate("token => localStorage.setItem('soporte.widget.token', token)", old)
    guest.page.reload()
    expect(guest.launcher).to_be_visible()
    guest.open()
    expect(guest.frame.get_by_label("Nombre")).to_be_visible()
    expect(guest.frame.locator("#widget-error")).to_be_hidden()
    wait_until(lambda: guest.page.evaluate("localStorage.getItem('soporte.widget.token')") is None,
               what="the expired token forgotten")


def test_a_guest_token_past_half_its_life_is_renewed_on_load_and_keeps_the_history(app, visitor, host_site):
    """A guest back when their token (GUEST_TOKEN_EXPIRES) is past half its life: the page trades it for a
    fresh one, kept where the old one was, and the guest is the same customer with the same history."""
    guest = visitor().visit()
    guest.open()
    guest.prechat("Lucía")
    expect(guest.send("¿Llegó mi pedido?")).to_have_attribute("data-state", "sent")
    wait_until(lambda: stored(app, mensaje="¿Llegó mi pedido?"), what="the message stored")
    (cliente,) = customers(app, invitado=True)
    assert cliente.sitio == host_site.origin  # the website the guest wrote from, for their emails
    # a token issued 100 s ago that lasts 20 s more: past half its life, still valid
    now = int(time.time())
    old = make_token(user=cliente.usuario, name="Lucía", iat=now - 100, expires_in=20)
    kept_in_frame = guest.page.frames[1].evaluate(
        "token => { try { localStorage.setItem('soporte.widget.token', token); return true; } catch (e) { return false; } }",
        old)
    if not kept_in_frame:  # the frame has no storage here: the loader keeps it on the website
        guest.page.evaluate("token => localStorage.setItem('soporte.widget.token', token)", old)
    assert guest.token() == old

    guest.page.reload()
    expect(guest.launcher).to_be_visible()
    guest.open()
    guest.expect_connected()
    renewed = wait_until(lambda: guest.token() if guest.token() not in (None, old) else None,
                         what="the renewed token kept")
    claims = jwt.decode(renewed, options={"verify_signature": False})
    assert claims["user"] == cliente.usuario and claims["exp"] - claims["iat"] == 30 * 86400
    expect(guest.frame.get_by_label("Nombre")).to_be_hidden()  # the same guest: no form again
    expect(guest.message("¿Llegó mi pedido?")).to_have_count(1)
    assert len(customers(app, invitado=True)) == 1
