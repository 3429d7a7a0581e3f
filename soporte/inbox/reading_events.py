"""Socket.IO handlers of the read markers: marcar_leido and marcar_no_leido (agents only).

Not the message relay: these may wait on the database. Each answers with an
acknowledgement and tells all the agent's tabs, on every process, through `leido`.
"""
import time

from soporte.accounts.directory import check_customer
from soporte.extensions import db
from soporte.inbox import reading
from soporte.protocol import MAX_ID, Invalid
from soporte.realtime import emitter
from soporte.relay.ids import EPOCH_MS, NODE_BITS, SEQUENCE_BITS
from soporte.relay.validation import encodable

CLOCK_MARGIN_MS = 10_000  # processes' clocks may differ this much: no id can be newer than now + this


def newest_possible_id():
    """An id no message can have yet (ids follow time): the ceiling of a marker."""
    ms = int(time.time() * 1000) + CLOCK_MARGIN_MS - EPOCH_MS
    return ((ms + 1) << (NODE_BITS + SEQUENCE_BITS)) - 1


def the_customer(data):
    """The `con` of a payload: an existing customer's name, or Invalid."""
    if not isinstance(data, dict):
        raise Invalid("Se esperaba un objeto {con, hasta}")
    con = data.get("con")
    if not isinstance(con, str) or not con or len(con) > 64 or not encodable(con):
        raise Invalid("Falta la conversación (con)")
    check_customer(con, "No se pudo comprobar la conversación; inténtalo de nuevo")
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
        emitter.tell_read(agent, state)
    return {"ok": True, "hasta": state["hasta"], "sin_leer": state["sin_leer"], "ultimo": state["ultimo"]}


def marcar_leido(sender, data):
    """An agent has read a conversation up to `hasta`: move its marker forward (never back)."""
    agent = sender.user
    con = the_customer(data)
    hasta = the_id(data)
    before, after = reading.mark_read(agent, con, hasta)
    if after == before:  # nothing new (another tab got there first): only this tab needs telling
        return answer(agent, con, tell_tabs=False)
    ack = answer(agent, con)
    others = reading.seen_up_to(con, except_agent=agent)
    db.session.commit()
    if after > max(before or 0, others or 0):  # the customer's "visto" grows
        emitter.tell_seen(con, after)
    return ack


def marcar_no_leido(sender, data):
    """An agent marks a conversation unread: its marker goes back to before the customer's latest message."""
    agent = sender.user
    con = the_customer(data)
    _, found = reading.mark_unread(agent, con)
    if not found:
        raise Invalid("No hay mensajes que marcar como no leídos")
    return answer(agent, con)
