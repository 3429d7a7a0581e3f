"""Satisfaction: the customer rates each resolution (a cycle of table ciclos) once, 1 to 5 with a comment.

Resolving a conversation (conversations.on_cambiar_estado) asks the customer
(`pedir_valoracion`); the customer answers with `valorar_conversacion` {ciclo, puntuacion,
comentario}; the rating is stored in `valoraciones` (unique per cycle, so a retry or a second
tab cannot rate twice) and announced as `valoracion` to every agent. The agent credited is
the cycle's assignee, else the last agent who replied in it, else who resolved it.
"""
import json

from sqlalchemy import delete, desc, select
from sqlalchemy.exc import IntegrityError

from soporte.accounts.display_names import display_names
from soporte.extensions import db
from soporte.models import Ciclo, Conversacion, Mensaje, Valoracion, iso_utc, utc_now
from soporte.protocol import (RATING_ALREADY, RATING_BAD_SCORE, RATING_NOT_RESOLVED, RATING_NOT_YOURS, RATING_TOO_LONG,
                              TOO_MANY, Invalid)
from soporte.realtime import emitter
from soporte.relay.validation import encodable

SCORES = range(1, 6)
MAX_COMMENT = 1000  # characters
RECENT = 5  # ratings the customer panel shows


def on_valorar(sender, data):
    """A customer rates one of their resolved conversations, once; every agent sees it at once."""
    ciclo, puntuacion, comentario = parse_rating(data)
    if not sender.bucket.take():  # the socket's message allowance: a rating is a database write
        raise Invalid(TOO_MANY)
    if sender.rol != "user":
        raise Invalid(RATING_NOT_YOURS)
    rating = rate(sender.user, ciclo, puntuacion, comentario)
    emitter.announce_rating(rating)
    return {"ok": True, **rating}


def parse_rating(data):
    """(ciclo, puntuacion, comentario or None) from a valorar_conversacion payload, or Invalid."""
    if not isinstance(data, dict):
        raise Invalid("La valoración debe ser un objeto {ciclo, puntuacion, comentario}")
    ciclo, puntuacion, comentario = data.get("ciclo"), data.get("puntuacion"), data.get("comentario")
    if not isinstance(ciclo, int) or isinstance(ciclo, bool) or not 0 < ciclo < 2**31:
        raise Invalid("Falta la conversación que valoras (ciclo)")
    if not isinstance(puntuacion, int) or isinstance(puntuacion, bool) or puntuacion not in SCORES:
        raise Invalid(RATING_BAD_SCORE)
    if comentario is not None and not isinstance(comentario, str):
        raise Invalid("El comentario debe ser texto")
    if comentario is not None and len(comentario) > MAX_COMMENT:
        raise Invalid(RATING_TOO_LONG.format(max=MAX_COMMENT))
    if comentario is not None and not encodable(comentario):
        raise Invalid("El comentario contiene caracteres no válidos")
    return ciclo, puntuacion, (comentario.strip() or None) if comentario else None


def rate(customer, ciclo, puntuacion, comentario):
    """Store a customer's rating of a resolved cycle of theirs; its JSON, or Invalid (not theirs, open, rated)."""
    cycle = db.session.get(Ciclo, ciclo)
    if cycle is None or cycle.conversacion != customer:  # the same answer: no guessing which cycles exist
        db.session.rollback()
        raise Invalid(RATING_NOT_YOURS)
    if cycle.resuelta_en is None:
        db.session.rollback()
        raise Invalid(RATING_NOT_RESOLVED)
    row = Valoracion(ciclo_id=ciclo, conversacion=customer, agente=credited(cycle), puntuacion=puntuacion,
                     comentario=comentario, fecha=utc_now())
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # rated already (here or by another tab, at the same instant)
        db.session.rollback()
        raise Invalid(RATING_ALREADY) from None
    return rating_json(row)


def credited(cycle):
    """The agent a cycle's rating counts for: its assignee, else the last agent who replied in it, else who resolved it."""
    if cycle.asignado:
        return cycle.asignado
    last = db.session.scalar(select(Mensaje.de_usuario).where(
        Mensaje.conversacion == cycle.conversacion, Mensaje.de_usuario != cycle.conversacion,
        Mensaje.id >= cycle.abierto_id).order_by(desc(Mensaje.id)).limit(1))
    return last or cycle.resuelta_por


def rating_json(row, names=None):
    """The protocol's rating object (`valoracion`, the panel, the customer's own tabs)."""
    names = names if names is not None else display_names([row.agente] if row.agente else [])
    return {"usuario": row.conversacion, "ciclo": row.ciclo_id, "puntuacion": row.puntuacion,
            "comentario": row.comentario, "agente": row.agente, "agente_nombre": names.get(row.agente),
            "fecha": iso_utc(row.fecha)}


def pending(customer):
    """The cycle the customer may still rate, or None: their latest resolution, while the conversation stays resolved.

    Once they write again (the conversation reopens) the question is gone; the next resolution asks anew.
    """
    estado = db.session.scalar(select(Conversacion.estado).where(Conversacion.usuario == customer))
    if estado != "resuelta":
        return None
    cycle = db.session.scalars(select(Ciclo).where(Ciclo.conversacion == customer, Ciclo.resuelta_en.is_not(None))
                               .order_by(Ciclo.id.desc()).limit(1)).first()
    if cycle is None or cycle.conversacion != customer:
        return None
    rated = db.session.scalar(select(Valoracion.id).where(Valoracion.ciclo_id == cycle.id))
    return None if rated is not None else cycle


def recent(customer, limit=RECENT):
    """A customer's latest ratings, newest first (the customer panel)."""
    rows = db.session.scalars(select(Valoracion).where(Valoracion.conversacion == customer)
                              .order_by(Valoracion.id.desc()).limit(limit)).all()
    names = display_names({r.agente for r in rows if r.agente})
    return [rating_json(r, names) for r in rows if r.conversacion == customer]


def export_customer(customer):
    """The customer's ratings for their data archive: one JSON file (privacy holder's export)."""
    rows = db.session.scalars(select(Valoracion).where(Valoracion.conversacion == customer.usuario)
                              .order_by(Valoracion.id)).all()
    ratings = [{"ciclo": r.ciclo_id, "puntuacion": r.puntuacion, "comentario": r.comentario, "agente": r.agente,
                "fecha": iso_utc(r.fecha)} for r in rows if r.conversacion == customer.usuario]
    return [("valoraciones.json", json.dumps(ratings, ensure_ascii=False, indent=2).encode("utf-8"))]


def erase_customer(customer):
    """Delete the customer's ratings in the current transaction (the caller commits); nothing to do afterwards."""
    db.session.execute(delete(Valoracion).where(Valoracion.conversacion == customer.usuario))
    return []
