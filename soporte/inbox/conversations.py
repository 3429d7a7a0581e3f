"""Conversation status: open or resolved, changed by agents, seen live by all.

The writer reopens a resolved conversation when a newer customer message is
stored (relay.conversation_rows); agents resolve and reopen with `cambiar_estado`.
Every change reaches every agent as `estado_conversacion` (emitter.announce_status); a resolution
asks the customer to rate it (`pedir_valoracion`, soporte/inbox/ratings.py).
"""

from sqlalchemy import insert, select, update

from soporte.extensions import db
from soporte.inbox import assignment
from soporte.inbox.conversation_list import BAD_ESTADO
from soporte.models import ESTADOS, Ciclo, Conversacion, utc_now
from soporte.protocol import TOO_MANY, Invalid, refused
from soporte.realtime import emitter
from soporte.relay import pending
from soporte.relay.conversation_rows import for_update
from soporte.relay.freshness import get_freshness
from soporte.upsert import upsert


def on_cambiar_estado(sender, data):
    """An agent resolves or reopens a conversation; every agent hears of it."""
    con, estado = parse_change(data)
    if not sender.bucket.take():  # the socket's message allowance: each change is a database write
        raise Invalid(TOO_MANY)
    closed = []
    estado_id = change_status(con, estado, sender.user, closed=closed)
    if estado_id is None:
        return refused(f"No hay ninguna conversación con {con}")
    emitter.announce_status(con, estado, sender.user, estado_id)
    for ciclo in closed:  # a resolution (not a second click on Resolver): the customer may rate it
        emitter.ask_rating(con, ciclo)
    if estado == "resuelta":
        assignment.wake()  # its assignee may have room for another
    return {"ok": True, "estado": estado, "id": estado_id}


def parse_change(data):
    """(con, estado) from a cambiar_estado payload, or Invalid saying what is wrong."""
    if not isinstance(data, dict):
        raise Invalid("El cambio debe ser un objeto {con, estado}")
    con, estado = data.get("con"), data.get("estado")
    if not isinstance(con, str) or not con.strip() or len(con) > 64:
        raise Invalid("Falta la conversación (con)")
    if estado not in ESTADOS:
        raise Invalid(BAD_ESTADO)
    return con, estado


def change_status(con, estado, agent, closed=None):
    """Store the new status at the conversation's newest id; that id, or None if there is no such conversation.

    closed: a list that gets the id of the cycle a resolution closed (none when it was resolved already).

    The newest id counts unstored messages (this writer's, and what Redis knows of
    other processes), so the writer reopens the conversation only for a customer
    message newer than this change. Resolving closes the open cycle (with its assignee);
    reopening opens one.
    """
    stored = db.session.execute(for_update(db.session, select(
        Conversacion.ultimo_id, Conversacion.estado, Conversacion.ciclo_id, Conversacion.asignado)
        .where(Conversacion.usuario == con))).first()
    unstored = pending.newest_ids(pending.unstored(con)).get(con, 0)
    newest = max(stored.ultimo_id if stored else 0, unstored, get_freshness().newest(con))
    if not newest:
        return None
    values = {"estado": estado, "estado_por": agent, "estado_id": newest}
    cycle = stored.ciclo_id if stored else None
    if estado == "resuelta" and cycle:
        db.session.execute(update(Ciclo).where(Ciclo.id == cycle).values(
            resuelta_en=utc_now(), resuelta_por=agent, asignado=stored.asignado))
        values["ciclo_id"] = None
        if closed is not None:
            closed.append(cycle)
    elif estado == "abierta" and stored is not None and stored.estado == "resuelta" and not cycle:
        values["ciclo_id"] = db.session.execute(insert(Ciclo).values(
            conversacion=con, abierto_id=newest, abierta_en=utc_now())).inserted_primary_key[0]
    if stored is not None:
        db.session.execute(update(Conversacion).where(Conversacion.usuario == con).values(**values))
    else:  # its first messages are not stored yet: the writer's upsert keeps this status
        db.session.execute(conversation_insert(db.session.get_bind().dialect.name),
                           {"usuario": con, "ultimo_id": newest, **values})
    db.session.commit()
    return newest


def conversation_insert(dialect):
    """INSERT a conversation row, or set its status if the writer stored it meanwhile."""
    return upsert(dialect, Conversacion.__table__, ["usuario"],
                  lambda new: {name: new[name] for name in ("estado", "estado_por", "estado_id")})
