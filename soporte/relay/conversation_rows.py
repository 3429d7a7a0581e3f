"""What a stored batch of messages changes in its conversations' rows, in the batch's transaction.

For each conversation: its latest id, the agents' latest reply, the customer's wait (their
first message no agent has answered), reopening when the customer writes after a resolution,
and its cycles (table `ciclos`): an open conversation without one gets one at the customer's
first message, and the agents' first reply after that opening is its first response.

Batches can come late and out of order (each process has its own storer), so the wait is
derived from ids, never from arrival: it is the customer's first message newer than the
agents' latest reply.
"""
import functools

from sqlalchemy import insert, select, update

from soporte.models import Ciclo, Conversacion
from soporte.relay.tombstones import drop_erased
from soporte.upsert import forward, upsert

COLUMNS = ("estado", "estado_por", "estado_id", "esperando_id", "ultimo_agente_id", "ciclo_id")


def advance(session, rows):
    """Bring the conversations of stored rows up to date; the caller commits.

    Returns the conversations that opened a cycle, as (customer, message id, reopened).
    """
    batch = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        batch.setdefault(row["conversacion"], []).append(row)
    names = sorted(batch)  # two processes' storers lock the same rows in the same order (no deadlock)
    stored = {found.usuario: found for found in session.execute(locked_rows(session, names))}
    if len(stored) < len(names):  # a conversation starts: unless its customer was erased meanwhile
        batch = drop_erased(session, batch, [name for name in names if name not in stored])
        names = sorted(batch)
    updated, opened = [], []
    for name in names:
        now = stored.get(name)
        state = {"usuario": name, "ultimo_id": batch[name][-1]["id"],
                 **{column: getattr(now, column) if now else None for column in COLUMNS}}
        state["estado"] = state["estado"] or "abierta"
        cycle = {"abierto_id": now.abierto_id, "respondido": now.primera_respuesta_en is not None} \
            if now is not None and now.ciclo_id else None
        opening = follow(session, state, cycle, batch[name])
        if opening:
            opened.append(opening)
        updated.append(state)
    if updated:
        session.execute(conversation_upsert(session.get_bind().dialect.name), updated)
    return opened


def locked_rows(session, names):
    """The stored rows of these conversations and their open cycles, locked until the commit."""
    return for_update(session, select(Conversacion.usuario, *(getattr(Conversacion, c) for c in COLUMNS),
                                      Ciclo.abierto_id, Ciclo.primera_respuesta_en)
                      .outerjoin(Ciclo, Ciclo.id == Conversacion.ciclo_id)
                      .where(Conversacion.usuario.in_(names)).order_by(Conversacion.usuario))


def for_update(session, query):
    """A query whose rows stay locked until the commit (SQLite has no row locks: its one writer lock serialises)."""
    return query if session.get_bind().dialect.name == "sqlite" else query.with_for_update()


def follow(session, state, cycle, rows):
    """Apply one conversation's new rows (in id order) to its state; (customer, id, reopened) if a cycle opened."""
    name = state["usuario"]
    opening = None
    for row in rows:
        state["esperando_id"], state["ultimo_agente_id"] = wait_after(state["esperando_id"], state["ultimo_agente_id"], row)
        if row["de_usuario"] != name:  # an agent's reply
            if cycle and not cycle["respondido"] and row["id"] > cycle["abierto_id"]:
                session.execute(update(Ciclo).where(Ciclo.id == state["ciclo_id"], Ciclo.primera_respuesta_en.is_(None))
                                .values(primera_respuesta_en=row["fecha"], primera_respuesta_por=row["de_usuario"]))
                cycle["respondido"] = True
            continue
        reopened = state["estado"] == "resuelta" and row["id"] > (state["estado_id"] or 0)
        if reopened:  # not for a message older than the resolution
            state.update(estado="abierta", estado_por=name, estado_id=row["id"], ciclo_id=None)
        if state["estado"] == "abierta" and not state["ciclo_id"]:
            state["ciclo_id"] = session.execute(insert(Ciclo).values(
                conversacion=name, abierto_id=row["id"], abierta_en=row["fecha"])).inserted_primary_key[0]
            cycle = {"abierto_id": row["id"], "respondido": False}
            opening = (name, row["id"], reopened)
    return opening


def wait_after(esperando_id, ultimo_agente_id, row):
    """(esperando_id, ultimo_agente_id) once a message is known, in whatever order messages come."""
    if row["de_usuario"] != row["conversacion"]:  # an agent's reply answers what was waiting before it
        if esperando_id and esperando_id < row["id"]:
            esperando_id = None
        return esperando_id, max(ultimo_agente_id or 0, row["id"])
    if row["id"] > (ultimo_agente_id or 0) and not (esperando_id and esperando_id < row["id"]):
        esperando_id = row["id"]  # unanswered, and earlier than what was waiting (a late batch)
    return esperando_id, ultimo_agente_id


@functools.cache  # built once: a batch is stored every WRITER_INTERVAL
def conversation_upsert(dialect):
    """INSERT a conversation, or set what advance() worked out under the row's lock (the latest id never moves back)."""
    table = Conversacion.__table__
    return upsert(dialect, table, ["usuario"], lambda new: {
        "ultimo_id": forward(table.c.ultimo_id, new), **{column: new[column] for column in COLUMNS}})
