"""Conversation status: open or resolved, listed by status, changed by agents, seen live by all.

The writer reopens a resolved conversation when a newer customer message is
stored (relay.writer.reopen); agents resolve and reopen with `cambiar_estado`.
Every change reaches every agent as `estado_conversacion` (emitter.announce_status).
"""

from flask import jsonify, request
from sqlalchemy import insert, select, update

from soporte.extensions import db
from soporte.inbox.api import bp
from soporte.inbox.params import MAX_LIMIT, BadParameter, int_param
from soporte.models import ESTADOS, Ciclo, Conversacion, Usuario, utc_now
from soporte.protocol import MAX_ID, TOO_MANY, Invalid, refused
from soporte.realtime import emitter
from soporte.relay import pending
from soporte.relay.conversation_rows import for_update
from soporte.relay.freshness import get_freshness
from soporte.upsert import upsert
from soporte.web.auth import admin_required

BAD_ESTADO = "estado debe ser abierta o resuelta"


@bp.route("/conversaciones")  # on the API blueprint: its JSON errors and 401/403 answers
@admin_required
def conversaciones():
    """Conversations with their status, most recent activity first; ?estado= filters (agents only)."""
    estado = request.args.get("estado") or None
    if estado is not None and estado not in ESTADOS:
        raise BadParameter(BAD_ESTADO)
    limite = int_param("limite", maximum=MAX_LIMIT)  # none: all of them, as the original list
    antes = int_param("antes", maximum=MAX_ID)
    return jsonify(list_conversations(estado, limite, antes))


def pending_activity():
    """What the writer holds unstored, per conversation: (newest id, newest customer id)."""
    unstored = pending.unstored()
    by_customer = pending.newest_ids(row for row in unstored if row["de_usuario"] == row["conversacion"])
    return {name: (newest, by_customer.get(name, 0)) for name, newest in pending.newest_ids(unstored).items()}


def list_conversations(estado=None, limite=None, antes=None):
    """One page of the list: stored conversations merged with the writer's unstored rows.

    A conversation with unstored activity may rank higher, or (a resolved one the
    customer wrote to again) be open already: the database page asks for that many
    more rows, so the merged page is still exact.
    """
    activity = pending_activity()
    table = Conversacion.__table__
    columns = (table.c.usuario, table.c.ultimo_id, table.c.estado, table.c.estado_por, table.c.estado_id)
    query = select(*columns).order_by(table.c.ultimo_id.desc())  # ix_conversaciones_(estado_)ultimo_id
    if estado:
        query = query.where(table.c.estado == estado)
    if antes is not None:
        query = query.where(table.c.ultimo_id < antes)
    if limite is not None:
        query = query.limit(limite + len(activity))
    found = {row.usuario: row._asdict() for row in db.session.execute(query)}
    missing = sorted(set(activity) - set(found))
    if missing:  # their stored status, whatever the filter
        found.update((row.usuario, row._asdict()) for row in db.session.execute(
            select(*columns).where(table.c.usuario.in_(missing))))
    for name, (newest, customer) in activity.items():
        row = found.setdefault(name, {"usuario": name, "ultimo_id": 0, "estado": "abierta",
                                      "estado_por": None, "estado_id": None})
        row["ultimo_id"] = max(row["ultimo_id"], newest)
        if row["estado"] == "resuelta" and customer > (row["estado_id"] or 0):
            row.update(estado="abierta", estado_por=name)  # what the writer will store
    rows = sorted((r for r in found.values() if (estado is None or r["estado"] == estado)
                   and (antes is None or r["ultimo_id"] < antes)),
                  key=lambda r: r["ultimo_id"], reverse=True)[:limite]
    names = display_names([r["usuario"] for r in rows])
    return [{"usuario": r["usuario"], "nombre": names.get(r["usuario"], r["usuario"]),
             "ultimo_id": r["ultimo_id"], "estado": r["estado"], "estado_por": r["estado_por"]}
            for r in rows]


def display_names(usernames):
    """Account display names by username (one query by the unique index)."""
    if not usernames:
        return {}
    return dict(db.session.execute(
        select(Usuario.usuario, Usuario.nombre).where(Usuario.usuario.in_(usernames))).all())


def on_cambiar_estado(sender, data):
    """An agent resolves or reopens a conversation; every agent hears of it."""
    con, estado = parse_change(data)
    if not sender.bucket.take():  # the socket's message allowance: each change is a database write
        raise Invalid(TOO_MANY)
    estado_id = change_status(con, estado, sender.user)
    if estado_id is None:
        return refused(f"No hay ninguna conversación con {con}")
    emitter.announce_status(con, estado, sender.user, estado_id)
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


def change_status(con, estado, agent):
    """Store the new status at the conversation's newest id; that id, or None if there is no such conversation.

    The newest id counts unstored messages (this writer's, and what Redis knows of
    other processes), so the writer reopens the conversation only for a customer
    message newer than this change. Resolving closes the open cycle (with its assignee);
    reopening opens one.
    """
    stored = db.session.execute(for_update(db.session, select(
        Conversacion.ultimo_id, Conversacion.estado, Conversacion.ciclo_id, Conversacion.asignado)
        .where(Conversacion.usuario == con))).first()
    newest = max(stored.ultimo_id if stored else 0, pending_activity().get(con, (0, 0))[0], get_freshness().newest(con))
    if not newest:
        return None
    values = {"estado": estado, "estado_por": agent, "estado_id": newest}
    cycle = stored.ciclo_id if stored else None
    if estado == "resuelta" and cycle:
        db.session.execute(update(Ciclo).where(Ciclo.id == cycle).values(
            resuelta_en=utc_now(), resuelta_por=agent, asignado=stored.asignado))
        values["ciclo_id"] = None
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
