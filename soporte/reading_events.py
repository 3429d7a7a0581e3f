"""Socket.IO handlers of the read markers: marcar_leido and marcar_no_leido (agents only).

Not the message relay: these may wait on the database. Each answers with an
acknowledgement and tells all the agent's tabs, on every process, through `leido`.
"""
import functools
import logging
import time

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from . import reading
from .chat import get_chat
from .errors import refused
from .extensions import db, socketio
from .ids import EPOCH_MS, NODE_BITS, SEQUENCE_BITS
from .sessions import ENDED, check_login, get_sessions, role_now
from .validation import Invalid, encodable

log = logging.getLogger(__name__)

MAX_ID = 2**63 - 1
CLOCK_MARGIN_MS = 10_000  # processes' clocks may differ this much: no id can be newer than now + this
NOT_AN_AGENT = "Solo para agentes de soporte"
NOT_SAVED = "No se pudo guardar la lectura; inténtalo de nuevo"


def newest_possible_id():
    """An id no message can have yet (ids follow time): the ceiling of a marker."""
    ms = int(time.time() * 1000) + CLOCK_MARGIN_MS - EPOCH_MS
    return ((ms + 1) << (NODE_BITS + SEQUENCE_BITS)) - 1


def the_agent():
    """The calling socket's agent name, or Invalid (logged out, or not an agent now)."""
    usuario = get_sessions().get(request.sid)
    if usuario is None:
        raise Invalid(ENDED)
    check_login(usuario)
    if role_now(usuario["user"], usuario["rol"]) != "admin":
        raise Invalid(NOT_AN_AGENT)
    return usuario["user"]


def the_customer(data):
    """The `con` of a payload: an existing customer's name, or Invalid."""
    if not isinstance(data, dict):
        raise Invalid("Se esperaba un objeto {con, hasta}")
    con = data.get("con")
    if not isinstance(con, str) or not con or len(con) > 64 or not encodable(con):
        raise Invalid("Falta la conversación (con)")
    try:
        rol = get_chat().directory.role_of(con)
    except Exception:
        log.exception("directory lookup failed for %r", con)
        raise Invalid("No se pudo comprobar la conversación; inténtalo de nuevo")
    if rol != "user":
        raise Invalid(f"No existe el usuario {con}")
    return con


def the_id(data):
    """The `hasta` of a payload: a message id (an integer), at most the newest id possible now."""
    hasta = data.get("hasta")
    if isinstance(hasta, bool) or not isinstance(hasta, int) or not 0 <= hasta <= MAX_ID:
        raise Invalid("hasta debe ser el id de un mensaje")
    return min(hasta, newest_possible_id())  # never ahead of messages that cannot exist yet


def answer(agent, con, tell_tabs=True):
    """The acknowledgement of a marker change; with tell_tabs, `leido` to every tab of the agent too."""
    state = reading.state(agent, con)
    db.session.commit()
    if tell_tabs:
        socketio.server.emit("leido", state, to=f"user:{agent}")
    return {"ok": True, "hasta": state["hasta"], "sin_leer": state["sin_leer"], "ultimo": state["ultimo"]}


def guarded(handler):
    """Run a marker handler: Invalid and database failures become a refusal ack."""

    @functools.wraps(handler)
    def run(*args):
        try:
            # one argument, the payload; anything else fails validation like a bad payload
            return handler(args[0] if len(args) == 1 else args)
        except Invalid as error:
            return refused(str(error))
        except SQLAlchemyError:
            log.exception("%s: database error", handler.__name__)
            db.session.rollback()
            return refused(NOT_SAVED)

    return run


@socketio.on("marcar_leido")
@guarded
def marcar_leido(data):
    """An agent has read a conversation up to `hasta`: move its marker forward (never back)."""
    agent = the_agent()
    con = the_customer(data)
    hasta = the_id(data)
    before, after = reading.mark_read(agent, con, hasta)
    if after == before:  # nothing new (another tab got there first): only this tab needs telling
        return answer(agent, con, tell_tabs=False)
    ack = answer(agent, con)
    others = reading.seen_up_to(con, except_agent=agent)
    db.session.commit()
    if after > max(before or 0, others or 0):  # the customer's "visto" grows
        socketio.server.emit("visto", {"hasta": after}, to=f"user:{con}")
    return ack


@socketio.on("marcar_no_leido")
@guarded
def marcar_no_leido(data):
    """An agent marks a conversation unread: its marker goes back to before the customer's latest message."""
    agent = the_agent()
    con = the_customer(data)
    _, found = reading.mark_unread(agent, con)
    if not found:
        raise Invalid("No hay mensajes que marcar como no leídos")
    return answer(agent, con)

