"""A customer's attachments for the data export and the erasure (soporte/privacy's holders).

Both take the customer's account (models.Usuario) and cover every upload in their
conversation: theirs and the agents' files sent to them, sent or not yet.
"""
import json
import re

from flask import current_app
from sqlalchemy import delete, select

from soporte.extensions import db
from soporte.files.attachments import as_json, delete_files
from soporte.files.storage import get_storage
from soporte.models import Adjunto, iso_utc

FOLDER = "adjuntos"
PATH_CHARACTERS = re.compile(r'[/\\:*?"<>|]')  # what an unzip tool might read as a folder or a device


def rows_of(customer):
    """The attachments of a customer's conversation, oldest first."""
    return db.session.scalars(select(Adjunto).where(Adjunto.conversacion == customer.usuario)
                              .order_by(Adjunto.creado_en, Adjunto.id)).all()


def export_customer(customer):
    """(path in the archive, bytes): adjuntos/adjuntos.json (every attachment's details), then each file."""
    rows = rows_of(customer)
    details = [{**as_json(a), "autor": a.autor, "creado_en": iso_utc(a.creado_en), "mensaje_id": a.mensaje_id,
                "archivo": archive_name(a)} for a in rows]
    yield f"{FOLDER}/adjuntos.json", json.dumps(details, ensure_ascii=False, indent=2).encode()
    storage = get_storage()
    for adjunto in rows:
        try:
            with storage.open(adjunto.id) as stored:
                yield f"{FOLDER}/{archive_name(adjunto)}", stored.read()
        except FileNotFoundError:  # swept or lost: its details above still say it existed
            continue


def archive_name(adjunto):
    """A file's name inside the archive: the start of its id (unique) and its name with no path characters."""
    return f"{adjunto.id[:12]}-{PATH_CHARACTERS.sub('_', adjunto.nombre)}"


def erase_customer(customer):
    """Delete the customer's attachment rows in the current transaction; return the deletion of the files, for after the commit."""
    ids = list(db.session.scalars(select(Adjunto.id).where(Adjunto.conversacion == customer.usuario)))
    if not ids:
        return []
    db.session.execute(delete(Adjunto).where(Adjunto.conversacion == customer.usuario))
    app = current_app._get_current_object()
    return [lambda: delete_files(ids, app)]
