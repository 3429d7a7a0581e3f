"""Typing indicators: `escribiendo` relayed to the other side of a conversation, throttled per typist."""
import logging
import time

from flask import current_app

from .chat import get_chat
from .errors import refused
from .events import bind_fast, check_recipient
from .extensions import socketio
from .sessions import (ENDED, NOT_AN_AGENT, SEND_ROLE_WAIT, check_login, check_refusals, get_sessions, refusal,
                       role_now)
from .validation import NOT_TEXT, Invalid, encodable

log = logging.getLogger(__name__)


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


def parse_typing(data):
    """The `para` of an escribiendo payload, or Invalid with mensaje_privado's refusal for that `para`."""
    para = data.get("para") if isinstance(data, dict) else None
    if not isinstance(para, str) or not para.strip():
        raise Invalid("Falta el destinatario (para)")
    if not encodable(para):
        raise Invalid(NOT_TEXT)
    return para  # a name too long for an account is check_recipient's refusal, as for a message


def relay_typing(sid, data):
    """escribiendo: validate like mensaje_privado, throttle, relay; ack {"ok", "reenviado"}."""
    typist = get_sessions().get(sid)
    if typist is None:
        return refused(ENDED)
    chat = get_chat()
    try:
        check_refusals(typist)  # the same allowance of refused payloads as mensaje_privado
        check_login(typist)
        para = parse_typing(data)
        check_recipient(typist, para, chat)  # the directory's cache, as the relay does
    except Invalid as error:
        return refusal(typist, error)
    agent = typist["rol"] == "admin"
    conversation = para if agent else typist["user"]
    if not current_app.extensions["soporte.typing"].allow(typist["user"], conversation):
        return {"ok": True, "reenviado": False}
    if agent and role_now(typist["user"], "admin", wait=SEND_ROLE_WAIT) != "admin":
        return refusal(typist, NOT_AN_AGENT)
    payload = {"de": typist["user"], "nombre": typist.get("nombre") or typist["user"], "con": conversation}
    rooms = ["admins", f"user:{para}"] if agent else "admins"
    # the typist's own tabs here are skipped; tabs on other processes drop events `de` themselves
    own = own_sids(typist["user"])
    socketio.server.emit("escribiendo", payload, to=rooms, skip_sid=own)
    return {"ok": True, "reenviado": True}


def own_sids(user):
    """The sockets of `user` on this process."""
    try:
        return [sid for sid, _ in socketio.server.manager.get_participants("/", f"user:{user}")]
    except KeyError:  # no such room here any more
        return []


def init_app(app):
    """Give the app its throttle and bind escribiendo to its Socket.IO server."""
    app.extensions["soporte.typing"] = TypingThrottle(app.config["TYPING_INTERVAL"])
    bind_fast(app, "escribiendo", relay_typing)  # like the message relay: no Flask request context
