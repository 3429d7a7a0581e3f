"""What the browser tests do on the chat page, in the page's own terms."""
import re
import time
from datetime import timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import func, select

from soporte.extensions import db
from soporte.relay.ids import MAX_NODE, IdGenerator
from soporte.models import Mensaje
from soporte.relay.writer import store

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEZONE = "Europe/Madrid"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMESTAMP = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def classes(*names):
    """A pattern for expect(...).to_have_class that wants all these classes."""
    return re.compile("".join(rf"(?=.*(^|\s){re.escape(n)}(\s|$))" for n in names))


def local_time(fecha):
    """How the page must show a stored (naive UTC) fecha: DD/MM/YYYY HH:MM in TIMEZONE."""
    return fecha.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(TIMEZONE)).strftime("%d/%m/%Y %H:%M")


def wait_until(condition, timeout=10.0, what="condition"):
    """Poll a condition outside the browser (e.g. the database) until it holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stored(app, **filters):
    """Stored messages (as dicts), oldest first, filtered by column values."""
    with app.app_context():
        rows = db.session.scalars(select(Mensaje).filter_by(**filters).order_by(Mensaje.id)).all()
        return [{c: getattr(r, c) for c in ("id", "de_usuario", "para_usuario", "mensaje", "fecha", "cid")}
                for r in rows]


def count_stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Mensaje))


class ChatPage:
    """One logged-in browser tab on /soporte."""

    def __init__(self, page, user, base_url):
        self.page = page
        self.user = user
        self.base_url = base_url
        self.errors = []
        self.dialogs = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, message):
        # what a strict Content-Security-Policy blocks is reported only on the console
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def login(self, password):
        """Log in through the real form and wait for the chat's socket."""
        self.page.goto(self.base_url + "/login")
        self.page.get_by_label("Usuario").fill(self.user)
        self.page.get_by_label("Contraseña").fill(password)
        self.page.get_by_role("button", name="Entrar").click()
        self.page.wait_for_url("**/soporte")
        self.expect_connected()

    def register(self, nombre, password):
        """Create this (customer) account through the real registration form."""
        self.page.goto(self.base_url + "/registro")
        self.page.get_by_label("Usuario").fill(self.user)
        self.page.get_by_label("Nombre").fill(nombre)
        self.page.get_by_label("Contraseña", exact=True).fill(password)
        self.page.get_by_label("Repite la contraseña").fill(password)
        self.page.get_by_role("button", name="Crear cuenta").click()
        self.page.wait_for_url("**/soporte")
        self.expect_connected()

    def expect_connected(self):
        expect(self.page.locator("#estado")).to_have_attribute("data-state", "connected")
        expect(self.page.locator("#estado")).to_have_text("Conectado")

    def reload(self):
        self.page.reload()
        self.expect_connected()

    # the conversation
    @property
    def messages(self):
        return self.page.locator("#mensajes .msg")

    def message(self, text):
        """The message(s) whose text is exactly `text`."""
        return self.messages.filter(has=self.page.locator(".msg-text").get_by_text(text, exact=True))

    def texts(self):
        return self.page.locator("#mensajes .msg-text").all_text_contents()

    def send(self, text):
        self.page.locator("#mensaje").fill(text)
        self.page.get_by_role("button", name="Enviar", exact=True).click()  # not "Enviar valoración"
        return self.message(text)

    def history_status(self):
        return self.page.locator("#mensajes .history-status")

    def scroll_to_top(self):
        self.page.locator("#mensajes").evaluate("box => box.scrollTop = 0")

    # the agents' list
    def user_item(self, name):
        return self.page.locator(f'#usuarios [data-user="{name}"]')

    def user_order(self):
        return self.page.locator("#usuarios [data-user]").evaluate_all("items => items.map(i => i.dataset.user)")

    def open(self, name, nombre=None):
        """Open a customer's conversation; its header names them by display name (the test accounts': Ana)."""
        self.user_item(name).click()
        expect(self.user_item(name)).to_have_class(classes("bg-light", "text-success", "fw-bold"))
        expect(self.page.locator("#chat-titulo")).to_have_text(f"Conversación con {nombre or name.capitalize()}")

    def screenshot(self, name):
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def seed_conversation(app, customer, agent, count):
    """Store `count` messages between a customer and an agent, as the writer stores them.

    Texts are "mensaje 001", "mensaje 002", ... oldest first; the customer writes the odd ones.
    """
    ids = IdGenerator(node=MAX_NODE)
    rows = []
    for n in range(1, count + 1):
        message_id, fecha = ids.next()
        de, para = (customer, agent) if n % 2 else (agent, customer)
        rows.append({"id": message_id, "de_usuario": de, "para_usuario": para, "conversacion": customer,
                     "mensaje": f"mensaje {n:03d}", "fecha": fecha, "cid": None})
    with app.app_context():
        store(db.session, rows)
        db.session.commit()
    return [f"mensaje {n:03d}" for n in range(1, count + 1)]
