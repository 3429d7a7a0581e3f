"""Uploads and their rows: made from a checked file, claimed by a message, linked when it is stored, swept if never sent.

A message carries attachments by id (`mensaje_privado`'s `adjuntos`). Its text gains one
line per attachment, `📎 <name>: /api/adjuntos/<id>`, so that a page that shows only text
(the original one) still gets a link, and every room gets the same one payload. The page
that knows `adjuntos` drops those last lines (one per attachment) and draws the files.
"""
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from soporte.background import every, in_os_thread
from soporte.extensions import db
from soporte.files import detect, images
from soporte.files.storage import get_storage
from soporte.models import Adjunto, utc_now
from soporte.protocol import Invalid

LINK_PATH = "/api/adjuntos/"
THUMBNAIL_SUFFIX = ".mini"  # the thumbnail's key: the file's key and this
MAX_NAME = 255
FORM_OVERHEAD = 64 * 1024  # a multipart body's own bytes around the file
BAD_IDS = "Los adjuntos no son válidos"
TOO_MANY_FILES = "Demasiados adjuntos en un mensaje (máximo {n})"
UNCHECKED = "No se pudieron comprobar los adjuntos; inténtalo de nuevo"


def init_app(app, serving):
    """Bound every request's body by the largest upload, and (serving) sweep uploads never sent."""
    # the CSRF check reads a form before any view runs: the bound must be the app's
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or \
        app.config["ATTACHMENT_MAX_SIZE"] + FORM_OVERHEAD
    if serving:
        every(lambda _: app.config["ATTACHMENT_SWEEP_INTERVAL"], sweep, name="attachment sweep", app=app,
              wait_first=True)


class Refused(Exception):
    """An upload refused: its HTTP status and the Spanish text for the page."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def clean_name(name):
    """The original file name as shown and sent back: no folders, no control or bidi characters, at most 255."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")).strip()
    return name[-MAX_NAME:] if name not in ("", ".", "..") else "archivo"


def allowed_types(config):
    """ATTACHMENT_TYPES as a set (a string of types separated by spaces or commas, or a list)."""
    value = config["ATTACHMENT_TYPES"]
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return set(value)


def create(conversacion, autor, nombre, data):
    """Check a file and store it (and an image's thumbnail) with its row; its JSON. Raises Refused."""
    config = current_app.config
    if len(data) > config["ATTACHMENT_MAX_SIZE"]:
        raise Refused(413, too_big(config))
    if not data:
        raise Refused(400, "El archivo está vacío")
    tipo = detect.detect(data)
    if tipo not in allowed_types(config):
        raise Refused(415, "Ese tipo de archivo no está permitido")
    thumbnail = None
    if detect.is_image(tipo):
        try:
            # in an OS thread: decoding megapixels on the event loop would hold every socket meanwhile
            thumbnail = in_os_thread(images.checked_thumbnail)(data, tipo, config["THUMBNAIL_SIZE"])
        except Exception as error:  # a truncated, corrupt or enormous image: not what it claims to be
            current_app.logger.info("upload refused: not a valid %s (%s)", tipo, error)
            raise Refused(415, "La imagen no es válida") from error
    adjunto = Adjunto(id=secrets.token_urlsafe(32), conversacion=conversacion, autor=autor, nombre=clean_name(nombre),
                      tipo=tipo, tamano=len(data), miniatura=thumbnail is not None, creado_en=utc_now())
    storage = get_storage()
    storage.save(adjunto.id, data)  # the file first: a row never names a missing file (the sweep takes a lone file's row)
    if thumbnail is not None:
        storage.save(adjunto.id + THUMBNAIL_SUFFIX, thumbnail)
    db.session.add(adjunto)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_files([adjunto.id])
        raise
    return as_json(adjunto)


def too_big(config):
    """The refusal of a file over ATTACHMENT_MAX_SIZE, in megabytes."""
    megabytes = config["ATTACHMENT_MAX_SIZE"] / (1024 * 1024)
    return f"El archivo supera el tamaño máximo ({megabytes:g} MB)"


def as_json(adjunto):
    """An attachment as messages carry it: {id, nombre, tipo, tamano, miniatura}."""
    return {"id": adjunto.id, "nombre": adjunto.nombre, "tipo": adjunto.tipo, "tamano": adjunto.tamano,
            "miniatura": bool(adjunto.miniatura)}


def parse_ids(value, maximum):
    """The adjuntos of a message payload: a list of 1..maximum distinct ids, or raise Invalid."""
    if not isinstance(value, list) or not value or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in value):
        raise Invalid(BAD_IDS)
    if len(value) > maximum:
        raise Invalid(TOO_MANY_FILES.format(n=maximum))
    if len(set(value)) != len(value):
        raise Invalid(BAD_IDS)
    return value


def claim(ids, autor, conversacion):
    """The attachments a message may carry, in the order given: the sender's own uploads to that conversation, unsent.

    Raises Invalid otherwise (one text for every reason: an id of someone else's is not told apart from none).
    """
    try:
        found = {a.id: a for a in db.session.scalars(select(Adjunto).where(Adjunto.id.in_(ids)))}
    except SQLAlchemyError:
        current_app.logger.exception("attachments: could not read %s", ids)
        raise Invalid(UNCHECKED)
    finally:
        db.session.rollback()  # end the read: the relay holds no transaction while the journal works
    chosen = [found.get(i) for i in ids]
    if any(a is None or a.autor != autor or a.conversacion != conversacion or a.mensaje_id is not None
           for a in chosen):
        raise Invalid(BAD_IDS)
    return [as_json(a) for a in chosen]


def with_links(mensaje, adjuntos):
    """The message's text with one line per attachment (the original page shows text only)."""
    lines = [f"📎 {a['nombre']}: {LINK_PATH}{a['id']}" for a in adjuntos]
    return "\n".join(([mensaje] if mensaje else []) + lines)


def link(session, rows):
    """Give stored messages their attachments (in the writer's transaction); an attachment already linked stays put."""
    for row in rows:
        session.execute(update(Adjunto).where(Adjunto.id.in_([a["id"] for a in row["adjuntos"]]),
                                              Adjunto.mensaje_id.is_(None)).values(mensaje_id=row["id"]))


def add_to_messages(messages):
    """Put `adjuntos` on history's message objects that have attachments; one query, only if a text has a link."""
    wanting = [m for m in messages if "adjuntos" not in m and LINK_PATH in m.get("mensaje", "")]
    if not wanting:
        return messages  # most pages: no attachment, no query
    by_message = {}
    for adjunto in db.session.scalars(select(Adjunto).where(Adjunto.mensaje_id.in_([m["id"] for m in wanting]))
                                      .order_by(Adjunto.creado_en, Adjunto.id)):
        by_message.setdefault(adjunto.mensaje_id, []).append(as_json(adjunto))
    for message in wanting:
        if message["id"] in by_message:
            message["adjuntos"] = by_message[message["id"]]
    return messages


def of_message(message_id):
    """A stored message's attachments, as messages carry them, in the order they were sent."""
    return [as_json(a) for a in db.session.scalars(select(Adjunto).where(Adjunto.mensaje_id == message_id)
                                                   .order_by(Adjunto.creado_en, Adjunto.id))]


def remove_from_message(message_id):
    """Delete a deleted message's attachment rows (the caller's transaction); their ids, for delete_files after it."""
    ids = list(db.session.scalars(select(Adjunto.id).where(Adjunto.mensaje_id == message_id)))
    if ids:
        db.session.execute(delete(Adjunto).where(Adjunto.id.in_(ids)))
    return ids


def readable(adjunto_id, claims):
    """The attachment if the caller may fetch it (its conversation's customer, or an agent), else None."""
    adjunto = db.session.get(Adjunto, adjunto_id) if 0 < len(adjunto_id) <= 64 else None
    if adjunto is None:
        return None
    if claims["rol"] == "admin" or claims["user"] == adjunto.conversacion:
        return adjunto
    return None


def sweep(app=None):
    """Delete uploads never carried by a stored message once ATTACHMENT_ORPHAN_AGE has passed: rows, then files."""
    app = app or current_app
    before = utc_now() - timedelta(seconds=app.config["ATTACHMENT_ORPHAN_AGE"])
    ids = list(db.session.scalars(select(Adjunto.id).where(Adjunto.mensaje_id.is_(None), Adjunto.creado_en < before)
                                  .limit(1000)))
    if ids and pending_claims(app):
        ids = [i for i in ids if i not in pending_claims(app)]  # a message in the spool still carries them
    if not ids:
        db.session.rollback()
        return 0
    db.session.execute(delete(Adjunto).where(Adjunto.id.in_(ids), Adjunto.mensaje_id.is_(None)))
    db.session.commit()
    delete_files(ids, app)
    return len(ids)


def pending_claims(app):
    """Ids that messages accepted but not stored yet carry (this process's writer)."""
    writer = app.extensions["soporte"].writer
    return {a["id"] for row in writer.pending_rows() for a in row.get("adjuntos", ())}


def delete_files(ids, app=None):
    """Remove the files (and thumbnails) of these attachments from the store."""
    storage = get_storage(app)
    for adjunto_id in ids:
        storage.delete(adjunto_id)
        storage.delete(adjunto_id + THUMBNAIL_SUFFIX)
