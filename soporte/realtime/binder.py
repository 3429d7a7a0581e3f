"""The one binder: puts each row of the event table on an app's Socket.IO server.

For every event it pushes the app context, finds the sender's live socket, checks
that the login still holds (and, per row, the refusal allowance and the agent's
role), then calls the handler with the sender and the payload. Invalid becomes the
protocol's refusal; a database or any other failure is logged and refused, never
a stack trace. No Flask request context per event: it cost a fifth of the CPU per
message when Flask-SocketIO pushed one. Nor for connect and disconnect, which read the
handshake's WSGI environ: Flask's request (its URL matching, its session) was a seventh of
the worker's CPU in a storm of connects.
"""
import functools
import logging
from dataclasses import dataclass
from typing import Callable, Optional

from flask_socketio import ConnectionRefusedError
from sqlalchemy.exc import SQLAlchemyError

from soporte.extensions import db, socketio
from soporte.protocol import CONNECT, ENDED, INTERNAL_ERROR, Invalid, refused
from soporte.realtime.event_names import guard_event_names
from soporte.realtime.sessions import check_login, check_refusals, get_sessions, refusal, role_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One row of the event table."""

    name: str
    handler: Callable  # handler(sender, payload) -> ack; connect/disconnect: Flask-SocketIO's signature
    limited: bool = False  # refused payloads spend the sender's refusal allowance (message-like events)
    agents_only: Optional[str] = None  # the refusal when the sender is not an agent now
    not_saved: Optional[str] = None  # the refusal when the database fails
    handshake: bool = False  # connect(sid, environ, auth) and disconnect(sid, reason): no sender, no checks


def bind(app, table):
    """Bind every event of `table` to the app's Socket.IO server (after socketio.init_app)."""
    guard_event_names(socketio.server)  # each init_app makes a new server: guard this app's
    for event in table:
        run = handshake if event.handshake else dispatch
        socketio.server.on(event.name, functools.partial(run, app, event))  # this app's server only


def dispatch(app, event, sid, *args):
    """Run one event from socket `sid`: the sender's checks, the handler, and the refusal of any failure."""
    # one argument, the payload; anything else fails validation like a bad payload
    data = args[0] if len(args) == 1 else args
    with app.app_context():
        sender = get_sessions().get(sid)
        if sender is None:
            return refused(ENDED)  # disconnected meanwhile
        try:
            if event.limited:
                check_refusals(sender)  # refused too often: answered before any check costs a lookup
            check_login(sender)  # expired or logged out: the sweep closes the socket soon
            if event.agents_only and role_now(sender.user, fallback=sender.rol,
                                              generacion=sender.generacion) != "admin":
                raise Invalid(event.agents_only)
            return event.handler(sender, data)
        except Invalid as error:
            return refusal(sender, error) if event.limited else refused(str(error))
        except SQLAlchemyError:
            log.exception("%s: database error", event.name)
            db.session.rollback()
            return refused(event.not_saved or INTERNAL_ERROR)
        except Exception:
            log.exception("%s failed", event.name)
            return refused(INTERNAL_ERROR)


def handshake(app, event, sid, *args):
    """Run connect or disconnect in the app's context; an unexpected failure is logged, and a connect refused."""
    with app.app_context():
        try:
            return event.handler(sid, *args)
        except ConnectionRefusedError:
            raise  # python-socketio answers the client with its message
        except Exception:  # a TypeError too: python-socketio would call the handler again with fewer arguments
            log.exception("socket handler failed: %s", event.name)
            if event.name == CONNECT:
                return False  # refuse: a truthy answer would accept a socket that never got its rooms
            return None
