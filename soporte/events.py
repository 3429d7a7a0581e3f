"""Socket.IO handlers: who may connect, and the relay of private messages."""
import logging

from flask import current_app, request
from flask import session as socket_session  # per socket under Flask-SocketIO
from flask_socketio import ConnectionRefusedError, join_room

from .chat import get_chat
from .errors import refused
from .extensions import socketio
from .models import iso_utc
from .persistence import NotStored
from .tokens import COOKIE_NAME, read_token
from .validation import Invalid, parse_private_message

log = logging.getLogger(__name__)


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
    """Authenticate the socket and join its rooms: user:<name>, and admins for agents."""
    claims = authenticate(auth)
    socket_session["usuario"] = {"user": claims["user"], "rol": claims["rol"]}
    join_room(f"user:{claims['user']}")
    if claims["rol"] == "admin":
        join_room("admins")
    log.info("connect %s (%s) sid=%s", claims["user"], claims["rol"], request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """Log who left and why."""
    usuario = socket_session.get("usuario", {})
    log.info("disconnect %s sid=%s reason=%s", usuario.get("user"), request.sid, reason)


@socketio.on("mensaje_privado")
def on_mensaje_privado(data=None):
    """Validate, deliver at once, then ack once the message is durable (spool or database)."""
    sender = socket_session["usuario"]
    chat = get_chat()
    try:
        para, mensaje, cid = parse_private_message(data, current_app.config["MAX_MESSAGE_LENGTH"])
        check_recipient(sender, para, chat)
    except Invalid as error:
        return refused(str(error))
    earlier = chat.ack_for(sender["user"], cid)
    if earlier:
        return earlier  # a retry: already delivered and stored once
    message_id, fecha = chat.ids.next()
    payload = {"de": sender["user"], "mensaje": mensaje, "id": message_id,
               "para": para, "fecha": iso_utc(fecha)}
    deliver(sender, payload)
    customer = para if sender["rol"] == "admin" else sender["user"]
    try:
        chat.writer.submit({"id": message_id, "de_usuario": sender["user"], "para_usuario": para,
                            "conversacion": customer, "mensaje": mensaje, "fecha": fecha, "cid": cid}
                           ).wait(current_app.config["ACK_TIMEOUT"])
    except NotStored as error:
        log.error("message %s delivered but not durable: %s", message_id, error)
        return refused("No se pudo guardar el mensaje; inténtalo de nuevo")
    ack = {"ok": True, "id": message_id, "fecha": payload["fecha"]}
    chat.remember_ack(sender["user"], cid, ack)
    return ack


def check_recipient(sender, para, chat):
    """Apply the routing rules: customers write to the inbox, agents to existing customers."""
    if sender["rol"] != "admin":
        if para != current_app.config["SUPPORT_INBOX"]:
            raise Invalid("Solo puedes escribir a soporte")
        return
    try:
        rol = chat.directory.role_of(para)
    except Exception:
        log.exception("directory lookup failed for %r", para)
        raise Invalid("No se pudo comprobar el destinatario; inténtalo de nuevo")
    if rol != "user":
        raise Invalid(f"No existe el usuario {para}")


def deliver(sender, payload):
    """Emit a message to its recipients, one copy per socket, and copies to the sender's side."""
    if sender["rol"] == "admin":
        socketio.emit("mensaje_recibido", payload, to=f"user:{payload['para']}")
        # the other agents, and this agent's other tabs, see the reply
        socketio.emit("mensaje_enviado", payload, to="admins", skip_sid=request.sid)
    else:
        # a list of rooms reaches each socket once, even an agent named like the inbox
        socketio.emit("mensaje_recibido", payload, to=["admins", f"user:{payload['para']}"])
        socketio.emit("mensaje_enviado", payload, to=f"user:{sender['user']}", skip_sid=request.sid)


@socketio.on_error_default
def on_error(error):
    """Answer an unexpected failure with an error ack, never a stack trace."""
    log.exception("socket handler failed: %s", error)
    return refused("Error interno del servidor")
