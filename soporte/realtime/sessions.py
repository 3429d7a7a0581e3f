"""Live sockets of this process, and the end of their login: logout, expiry, a lost agent role."""
import logging
import time
from dataclasses import dataclass

from flask import current_app

from soporte.accounts.directory import get_directory
from soporte.accounts.revocation import get_revocations
from soporte.background import every
from soporte.extensions import socketio
from soporte.protocol import ENDED, NO_LONGER_AGENT, TOO_MANY_REFUSED, Invalid, refused, token_room
from soporte.realtime import emitter
from soporte.realtime.throttle import TokenBucket

log = logging.getLogger(__name__)

SEND_ROLE_WAIT = 0.2  # seconds an agent's message may wait for a stale role to be refreshed


@dataclass(slots=True)  # one per socket: no dict each
class SocketSession:
    """Who one live socket is, from its login token, and its allowances."""

    sid: str
    user: str  # the account's username
    rol: str  # "admin" (an agent) or "user" (a customer), as the database said at connect
    jti: str  # the login token's id: logging out ends every socket of it
    exp: float  # when the token expires (Unix time)
    nombre: str  # the display name, shown as "Ana está escribiendo..."
    bucket: TokenBucket  # messages (and other writes) per second
    refusals: TokenBucket  # refused payloads per second
    generacion: int = 0  # the token's login generation: a reset or deactivation of the account ends it


class Sessions:
    """Who each local socket is (a SocketSession per sid), and the sweep that ends their logins."""

    def __init__(self):
        self._live = {}  # sid -> SocketSession
        self._started = False

    def add(self, usuario):
        """Remember a socket that has just connected (its session holds its sid)."""
        self._live[usuario.sid] = usuario

    def get(self, sid):
        """The usuario of a live socket (with its message bucket), or None."""
        return self._live.get(sid)

    def discard(self, sid):
        """Forget a socket that has gone; return what it was."""
        return self._live.pop(sid, None)

    def why_ended(self, usuario):
        """'expirado' or 'logout' when this socket's token no longer holds, else None.

        Only this process's knowledge: a logout on another process reaches here
        at the next sweep, so sending never waits on Redis.
        """
        if usuario.exp <= time.time():
            return "expirado"
        if get_revocations().is_revoked_here(usuario.jti):
            return "logout"
        return None

    def end_login(self, claims):
        """Log a token out: refuse it from now on, and close its sockets here at once.

        Other processes close theirs at their next sweep, when they see the jti in Redis.
        """
        get_revocations().revoke(claims["jti"], claims["exp"])
        for sid in emitter.local_sockets(token_room(claims["jti"])):
            emitter.end_session(sid, "logout")

    def end_account(self, username, reason=None):
        """End every login of an account whose generation or activity changed: its sockets close on every process.

        The caller has committed the change. Every process forgets the cached role: this one at
        once, the others when the Redis queue brings it (without Redis there are no others;
        with an unreachable Redis, within ROLE_CACHE_TTL). reason None: only that (reactivated).
        """
        get_directory().forget(username)
        emitter.end_account(username, reason)

    def sweep(self):
        """Close sockets whose token expired or was revoked, and agents who are agents no more."""
        now = time.time()
        live = list(self._live.items())
        revoked = get_revocations().revoked_among({u.jti for _, u in live})
        agents = {}
        for sid, usuario in live:
            if usuario.exp <= now:
                emitter.end_session(sid, "expirado")
            elif usuario.jti in revoked:
                emitter.end_session(sid, "logout")
            elif usuario.rol == "admin" and not still_agent(usuario, agents):
                emitter.end_session(sid, "permisos")

    def start(self, app):
        """Run the sweep every TOKEN_SWEEP_INTERVAL seconds in the background."""
        if not self._started:
            self._started = True
            every(lambda _: app.config["TOKEN_SWEEP_INTERVAL"], self.sweep, name="token sweep", app=app, wait_first=True)


def role_now(username, fallback, max_age=None, wait=None, generacion=None):
    """The role the database gives `username` (cached up to ROLE_CACHE_TTL); `fallback` if it cannot say.

    generacion: the login's; None as the role when the account ended that login since.
    Sockets go on during a database outage: the sweep checks again once it is back.
    """
    if max_age is None:
        max_age = current_app.config["ROLE_CACHE_TTL"]
    try:
        return get_directory().role_of(username, max_age=max_age, wait=wait, generacion=generacion)
    except Exception:
        log.warning("could not check the role of %s: the database failed", username, exc_info=True)
        return fallback


def still_agent(usuario, answers):
    """Whether a socket's agent is still an agent, with a login still valid, asked once per sweep."""
    key = (usuario.user, usuario.generacion)
    if key not in answers:
        # half the TTL: live agents' roles stay fresh, so sending rarely waits on the database
        max_age = current_app.config["ROLE_CACHE_TTL"] / 2
        answers[key] = role_now(usuario.user, "admin", max_age, generacion=usuario.generacion) == "admin"
    return answers[key]


def check_login(usuario):
    """Raise Invalid when this socket's login is over (expired or logged out).

    The sweep disconnects such sockets; until then their messages get this answer.
    """
    if get_sessions().why_ended(usuario):
        raise Invalid(ENDED)


def check_still_agent(usuario):
    """Raise Invalid when the socket's agent lost the role (customers pass)."""
    # a bounded wait: a demotion counts at once, a dead database does not hold up the reply
    if usuario.rol == "admin" and role_now(usuario.user, "admin", wait=SEND_ROLE_WAIT,
                                           generacion=usuario.generacion) != "admin":
        raise Invalid(NO_LONGER_AGENT)


def check_refusals(usuario):
    """Raise Invalid while the socket has used up its allowance of refused payloads.

    Refused payloads cost no message allowance, so this bounds the work they cost
    (a directory lookup each): a muted socket's payloads are answered before any check.
    """
    if not usuario.refusals.ready():
        raise Invalid(TOO_MANY_REFUSED)


def refusal(usuario, error):
    """The ack of a payload refused by the checks; it spends one of the socket's refusals."""
    usuario.refusals.take()
    return refused(str(error))


def init_app(app):
    """Give the app its Sessions, and start the sweep where a real server runs."""
    app.extensions["soporte.sessions"] = sessions = Sessions()
    # an account ended on another process (deactivated, reset): the Redis queue tells this one's role cache
    listeners = getattr(socketio.server.manager, "on_end_account", None)
    if listeners is not None:
        listeners.append(app.extensions["soporte.directory"].forget)
    if not app.testing:
        sessions.start(app)
    return sessions


def get_sessions():
    """The Sessions of the current app."""
    return current_app.extensions["soporte.sessions"]
