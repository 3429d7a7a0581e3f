"""Reading private notes for agents: as history items among the messages, and as the live event.

Only agents' routes call these (the agents' history with `notas=1`, the agents' export
with `notas=1`); no customer path does. A note reads like a message with `"nota": true`
and no recipient, so a page that asked for notes pages them with the messages by id.
"""
from sqlalchemy import select

from soporte.extensions import db
from soporte.models import Nota, iso_utc

NOTE_COLUMNS = (Nota.id, Nota.autor, Nota.texto, Nota.fecha, Nota.cid)


def note_json(row, viewer=None):
    """A note as a history item: message-shaped, marked `nota`; the viewer's own notes carry their cid."""
    note = {"id": row.id, "nota": True, "de_usuario": row.autor, "mensaje": row.texto, "fecha": iso_utc(row.fecha)}
    if viewer is not None and row.autor == viewer and row.cid:
        note["cid"] = row.cid
    return note


def note_event(row, nombre):
    """The `nota_creada` payload of a stored note (a dict of its columns); nombre: the author's display name."""
    return {"id": row["id"], "con": row["conversacion"], "autor": row["autor"], "nombre": nombre,
            "texto": row["texto"], "fecha": iso_utc(row["fecha"])}


def notes_page(con, viewer, limite, antes=None, despues=None):
    """{id: note} of a conversation's notes as a history page asks: the latest limite, or the first after despues."""
    query = select(*NOTE_COLUMNS).where(Nota.conversacion == con)  # ix_notas_conversacion_id
    if antes is not None:
        query = query.where(Nota.id < antes)
    if despues is not None:
        query = query.where(Nota.id > despues).order_by(Nota.id)
    else:
        query = query.order_by(Nota.id.desc())
    return {row.id: note_json(row, viewer) for row in db.session.execute(query.limit(limite))}


def notes_around(con, viewer, note_id, older, newer):
    """{id: note} of up to `older` notes with id <= note_id and `newer` notes after it."""
    base = select(*NOTE_COLUMNS).where(Nota.conversacion == con)
    rows = list(db.session.execute(base.where(Nota.id <= note_id).order_by(Nota.id.desc()).limit(older)))
    if newer:
        rows += db.session.execute(base.where(Nota.id > note_id).order_by(Nota.id).limit(newer))
    return {row.id: note_json(row, viewer) for row in rows}
