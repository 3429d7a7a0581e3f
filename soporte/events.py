"""Socket.IO handlers: who may connect, and the relay of private messages."""
import logging

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from .chat import get_chat
from .delivery import Outgoing, acknowledge
from .errors import refused
from .event_names import guard_event_names
from .extensions import socketio
from .freshness import get_freshness, parse_seen
from .ids import NoNode
from .models import iso_utc
from .persistence import NotStored
from .presence import get_presence
from .sessions import (ENDED, check_login, check_refusals, check_still_agent, get_sessions, refusal, role_now,
                       token_room)
from .throttle import TOO_MANY, TokenBucket
from .tokens import COOKIE_NAME, read_token
from .validation import Invalid, parse_private_message

log = logging.getLogger(__name__)

NO_NODE = "El servidor no está listo para enviar mensajes; inténtalo de nuevo en unos segundos"
MAX_NAME = 200  # longer than any account name (64 characters in the database)


def authenticate(auth):
    """Return the claims of the handshake's token, or refuse with the protocol's message."""
    token = request.cookies.get(COOKIE_NAME)  # the cookie wins over `auth`
    if not token and isinstance(auth, dict) and isinstance(auth.get("token"), str):
        token = auth["token"]
    if not token:
        raise ConnectionRefusedError(
            "Token no proporcionado" if request.headers.get("Cookie") else "No autenticado"
        )
    claims = read_token(token)
    if claims is None:
        raise ConnectionRefusedError("Token inválido")
    return claims


@socketio.on("connect")
def on_connect(auth=None):
    """Authenticate the socket and join its rooms: user:<name>, token:<jti>, and admins for agents."""
    claims = authenticate(auth)
    rol = role_now(claims["user"], fallback=claims["rol"])  # a demoted agent comes back as what they are
    if rol is None:
        raise ConnectionRefusedError("Token inválido")  # the account was deleted
    config = current_app.config
    usuario = {"user": claims["user"], "rol": rol, "jti": claims["jti"], "exp": claims["exp"],
               "bucket": TokenBucket(config["MESSAGE_RATE"], config["MESSAGE_BURST"]),
               "refusals": TokenBucket(config["REFUSAL_RATE"], config["REFUSAL_BURST"])}
    join_room(f"user:{claims['user']}")
    join_room(token_room(claims["jti"]))  # logout closes the sockets of its token
    if rol == "admin":
        join_room("admins")
    usuario["nombre"] = claims.get("name") or claims["user"]  # shown as "Ana está escribiendo..."
    get_sessions().add(request.sid, usuario)
    get_presence().socket_on(usuario)
    log.info("connect %s (%s) sid=%s", claims["user"], rol, request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """Forget the socket, take it off presence, and log who left and why."""
    usuario = get_sessions().discard(request.sid) or {}
    if usuario:
        get_presence().socket_off(usuario)
    log.info("disconnect %s sid=%s reason=%s", usuario.get("user"), request.sid, reason)


def bind_fast(app, event, handler):
    """Bind handler(sid, payload) straight to python-socketio: an app context, errors as refusals.

    A hot event needs no Flask request context and cookie session, which cost a
    fifth of the CPU per message when Flask-SocketIO pushed them.
    """
    def call(sid, *args):
        with app.app_context():
            try:
                # one argument, the payload; anything else fails validation like a bad payload
                return handler(sid, args[0] if len(args) == 1 else args)
            except Exception:
                log.exception("%s failed", event)
                return refused("Error interno del servidor")

    socketio.server.on(event, call)


def relay(sid, data):
    """mensaje_privado: validate, make durable (spool or database), then deliver and ack."""
    sender = get_sessions().get(sid)
    if sender is None:
        return refused(ENDED)  # disconnected meanwhile
    chat = get_chat()
    try:
        check_refusals(sender)  # refused too often: answered before any check costs a lookup
        check_login(sender)  # expired or logged out: the sweep closes the socket soon
        para, mensaje, cid = parse_private_message(data, current_app.config["MAX_MESSAGE_LENGTH"])
        seen = parse_seen(data, sender)  # an agent's visto_hasta: refuse a stale reply
        check_recipient(sender, para, chat)
        check_still_agent(sender)
    except Invalid as error:
        return refusal(sender, error)  # costs a refusal, not a message
    earlier = chat.ack_for(sender["user"], cid)
    if earlier:
        return earlier  # a retry: already delivered and stored once
    held = chat.held_for(sender["user"], cid)
    if held:  # a retry while the first try is still being journaled: its outcome, not a second copy
        return acknowledge(chat, held, cid, current_app.config["ACK_TIMEOUT"])
    if not chat.writer.accepting:  # shutting down: a refusal now is a clean "nothing happened"
        return refused("El servidor se está reiniciando; inténtalo de nuevo")
    if not sender["bucket"].take():  # only a message that passed every check spends the allowance
        return refused(TOO_MANY)
    try:
        message_id, fecha = chat.ids.next()
    except NoNode:  # no node held (Redis away at start, or too long): an id could be another process's too
        sender["bucket"].give_back()  # not the sender's doing
        return refused(NO_NODE)
    payload = {"de": sender["user"], "nombre": sender["nombre"], "mensaje": mensaje, "id": message_id,
               "para": para, "fecha": iso_utc(fecha)}  # nombre: the sender's display name, for the pages
    customer = para if sender["rol"] == "admin" else sender["user"]
    stale = get_freshness().admit(customer, payload, seen)  # memory (and Redis), never the database
    if stale:
        sender["bucket"].give_back()  # refused after all: a refusal, not a message
        sender["refusals"].take()
        return stale  # not remembered as an ack: "send anyway" reuses the cid
    try:
        group = chat.writer.submit({"id": message_id, "de_usuario": sender["user"], "para_usuario": para,
                                    "conversacion": customer, "mensaje": mensaje, "fecha": fecha, "cid": cid})
    except NotStored:  # it stopped accepting meanwhile
        return refused("El servidor se está reiniciando; inténtalo de nuevo")
    return acknowledge(chat, Outgoing(sender, sid, payload, group), cid, current_app.config["ACK_TIMEOUT"])


def register_relay(app):
    """Bind mensaje_privado to this app's Socket.IO server (after socketio.init_app); guard its event names."""
    guard_event_names(socketio.server)  # each init_app makes a new server: guard this app's
    bind_fast(app, "mensaje_privado", relay)


def check_recipient(sender, para, chat):
    """Apply the routing rules: customers write to the inbox, agents to existing customers."""
    if sender["rol"] != "admin":
        if para != current_app.config["SUPPORT_INBOX"]:
            raise Invalid("Solo puedes escribir a soporte")
        return
    if len(para) > MAX_NAME:  # no account has such a name: not worth a lookup (nor a cache entry)
        raise Invalid(f"No existe el usuario {para}")
    try:
        rol = chat.directory.role_of(para)
    except Exception:
        log.exception("directory lookup failed for %r", para)
        raise Invalid("No se pudo comprobar el destinatario; inténtalo de nuevo")
    if rol != "user":
        raise Invalid(f"No existe el usuario {para}")


@socketio.on_error_default
def on_error(error):
    """Answer an unexpected failure with an error ack, never a stack trace."""
    log.exception("socket handler failed: %s", error)
    if request.event["message"] == "connect":
        return False  # refuse: a truthy answer would accept a socket that never got its rooms
    return refused("Error interno del servidor")
