"""Typing indicators: `escribiendo` relayed to the other side of a conversation, throttled per typist."""
import time

from flask import current_app

from soporte.protocol import NOT_TEXT, Invalid
from soporte.realtime import emitter
from soporte.realtime.sessions import check_still_agent
from soporte.relay.accept import check_recipient
from soporte.relay.validation import encodable


class TypingThrottle:
    """At most one relayed event per TYPING_INTERVAL for each typist and conversation (this process)."""

    def __init__(self, interval):
        self.interval = interval
        self._last = {}  # (typist, conversation) -> monotonic time of the last relayed event

    def allow(self, typist, conversation):
        """Whether to relay now; remembers the time if so."""
        now = time.monotonic()
        key = (typist, conversation)
        if now - self._last.get(key, -self.interval) < self.interval:
            return False
        if len(self._last) > 10_000:  # forget the typists who stopped, now and then
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        self._last[key] = now
        return True

    def forget(self, name):
        """Drop an erased customer's entries (as typist or as conversation)."""
        self._last = {key: t for key, t in self._last.items() if name not in key}


def parse_typing(data):
    """The `para` of an escribiendo payload, or Invalid with mensaje_privado's refusal for that `para`."""
    para = data.get("para") if isinstance(data, dict) else None
    if not isinstance(para, str) or not para.strip():
        raise Invalid("Falta el destinatario (para)")
    if not encodable(para):
        raise Invalid(NOT_TEXT)
    return para  # a name too long for an account is check_recipient's refusal, as for a message


def relay_typing(typist, data):
    """escribiendo: validate like mensaje_privado, throttle, relay; ack {"ok", "reenviado"}."""
    para = parse_typing(data)
    check_recipient(typist, para)  # the directory's cache, as the relay does
    agent = typist.rol == "admin"
    conversation = para if agent else typist.user
    if not current_app.extensions["soporte.typing"].allow(typist.user, conversation):
        return {"ok": True, "reenviado": False}
    check_still_agent(typist)  # after the throttle: a throttled event costs no role lookup
    payload = {"de": typist.user, "nombre": typist.nombre, "con": conversation}
    emitter.relay_typing(typist, payload, to_customer=para if agent else None)
    return {"ok": True, "reenviado": True}


def init_app(app):
    """Give the app its throttle (one per process: what each typist last relayed)."""
    app.extensions["soporte.typing"] = TypingThrottle(app.config["TYPING_INTERVAL"])
