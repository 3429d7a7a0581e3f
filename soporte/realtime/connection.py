"""The handshake: who may connect, the rooms a socket joins, and its end."""
import logging

from flask import current_app
from flask_socketio import ConnectionRefusedError
from werkzeug.http import parse_cookie

from soporte.accounts.tokens import COOKIE_NAME, read_token
from soporte.presence.online import get_presence
from soporte.protocol import AGENTS_ROOM, token_room, user_room
from soporte.realtime import emitter
from soporte.realtime.origins import from_widget_site
from soporte.realtime.sessions import SocketSession, get_sessions, role_now
from soporte.realtime.throttle import TokenBucket

log = logging.getLogger(__name__)


def authenticate(environ, auth):
    """Return the claims of the handshake's token, or refuse with the protocol's message.

    A page of a website that embeds the widget (WIDGET_ORIGINS) connects with `auth` only:
    the cookie the browser may attach for it is not that page's to use. So does the widget's
    own page when it says so (`auth.widget`): it speaks for its visitor even in a browser
    where someone is also logged in to soporte.
    """
    says_widget = isinstance(auth, dict) and auth.get("widget") is True
    token_only = says_widget or from_widget_site(environ, current_app.config)
    cookie = None if token_only else environ.get("HTTP_COOKIE")
    token = parse_cookie(cookie).get(COOKIE_NAME)  # the cookie wins over `auth`
    if not token and isinstance(auth, dict) and isinstance(auth.get("token"), str):
        token = auth["token"]
    if not token:
        raise ConnectionRefusedError("Token no proporcionado" if cookie else "No autenticado")
    claims = read_token(token)
    if claims is None:
        raise ConnectionRefusedError("Token inválido")
    return claims


def on_connect(sid, environ, auth=None):
    """Authenticate the socket and join its rooms: user:<name>, token:<jti>, and admins for agents."""
    claims = authenticate(environ, auth)
    # a demoted agent comes back as what they are
    rol = role_now(claims["user"], fallback=claims["rol"], generacion=claims["gen"])
    if rol is None:
        raise ConnectionRefusedError("Token inválido")  # the account was deleted or deactivated, or the login ended
    config = current_app.config
    usuario = SocketSession(
        sid=sid, user=claims["user"], rol=rol, jti=claims["jti"], exp=claims["exp"],
        nombre=claims.get("name") or claims["user"],  # shown as "Ana está escribiendo..."
        bucket=TokenBucket(config["MESSAGE_RATE"], config["MESSAGE_BURST"]),
        refusals=TokenBucket(config["REFUSAL_RATE"], config["REFUSAL_BURST"]), generacion=claims["gen"])
    rooms = [user_room(usuario.user), token_room(usuario.jti)]  # logout closes the sockets of its token
    emitter.join(sid, *rooms, *([AGENTS_ROOM] if rol == "admin" else []))
    get_sessions().add(usuario)
    get_presence().socket_on(usuario)
    log.info("connect %s (%s) sid=%s", usuario.user, rol, sid)


def on_disconnect(sid, reason=None):
    """Forget the socket, take it off presence, and log who left and why."""
    usuario = get_sessions().discard(sid)
    if usuario:
        get_presence().socket_off(usuario)
    log.info("disconnect %s sid=%s reason=%s", usuario and usuario.user, sid, reason)
