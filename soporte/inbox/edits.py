"""editar_mensaje and borrar_mensaje: the author changes or deletes their own message within EDIT_WINDOW.

The message row changes in place (a deletion empties its text, so no customer path and no
search index can show it again); the text before each change goes to `ediciones_mensaje`,
the agents' audit, in the same transaction. A message still in the spool has no row to
change yet: the handler waits up to STORE_WAIT for the writer to store it, and otherwise
refuses with a text that says to retry (the page retries with the same cid).
"""
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from soporte.extensions import db, socketio
from soporte.files import attachments
from soporte.models import EdicionMensaje, Mensaje, Nota, iso_utc, utc_now
from soporte.protocol import (EDIT_DELETED, EDIT_NOT_AUTHOR, EDIT_NOTE, EDIT_TOO_LATE, EDIT_UNKNOWN, MAX_ID,
                              NOT_YET_STORED, TOO_MANY, Invalid, refused)
from soporte.realtime import emitter
from soporte.relay import pending
from soporte.relay.validation import CID_MAX_LENGTH, encodable

EDIT, DELETE = "editar", "eliminar"  # ediciones_mensaje.accion
STORE_WAIT = 2.0  # seconds an edit waits for the writer to store a message it has only journaled
STORE_POLL = 0.05


def on_editar_mensaje(sender, data):
    """The author replaces the text of their own message: audited, then announced to both sides."""
    message_id, cid = parse_target(data)
    texto = parse_text(data, current_app.config["MAX_MESSAGE_LENGTH"])
    return change(sender, message_id, cid, EDIT, texto)


def on_borrar_mensaje(sender, data):
    """The author deletes their own message: its text kept only in the agents' audit, then announced."""
    message_id, cid = parse_target(data)
    return change(sender, message_id, cid, DELETE)


def change(sender, message_id, cid, accion, texto=None):
    """Check, apply and announce one edit or deletion; answer a retried cid with its first ack."""
    earlier = first_ack(sender.user, cid)
    if earlier:
        return earlier
    if not sender.bucket.take():  # each change is a database write, as a message is
        return refused(TOO_MANY)
    try:
        message = locked_message(message_id)
        if message is None:  # not stored yet, or no such message
            if not wait_for_store(message_id):
                sender.bucket.give_back()
                return refused(NOT_YET_STORED)  # the page retries with the same cid
            message = locked_message(message_id)
        if accion == DELETE and message.eliminado_en is not None and message.de_usuario == sender.user:
            db.session.commit()
            return deleted_ack(message)  # deleting twice is fine: the same answer
        check_allowed(sender, message, accion)
        now = utc_now()
        files = attachments.of_message(message.id)
        if accion == EDIT and files:
            texto = attachments.with_links(texto, files)  # the files stay: their link lines end the text
        removed = attachments.remove_from_message(message.id) if accion == DELETE else []
        db.session.execute(insert(EdicionMensaje).values(
            mensaje_id=message.id, conversacion=message.conversacion, accion=accion,
            texto_anterior=message.mensaje, por=sender.user, cuando=now, cid=cid))
        values = {"mensaje": texto, "editado_en": now} if accion == EDIT else {"mensaje": "", "eliminado_en": now}
        db.session.execute(update(Mensaje).where(Mensaje.id == message.id).values(**values))
        db.session.commit()
    except IntegrityError:  # the same cid done meanwhile (a retry that raced the first try)
        db.session.rollback()
        earlier = first_ack(sender.user, cid)
        if earlier:
            return earlier
        raise
    except Invalid:
        db.session.rollback()
        sender.bucket.give_back()
        raise
    attachments.delete_files(removed)  # a deleted message's files go with its text, once that is committed
    if accion == EDIT:
        emitter.announce_edited(message.conversacion, message.id, texto, iso_utc(now), sender.user)
        return {"ok": True, "id": message.id, "editado_en": iso_utc(now)}
    emitter.announce_deleted(message.conversacion, message.id, iso_utc(now), sender.user)
    return {"ok": True, "id": message.id, "eliminado_en": iso_utc(now)}


def check_allowed(sender, message, accion):
    """Refuse (Invalid) what the rules forbid: another's message, the window over, an edit of a deleted one."""
    if message.de_usuario != sender.user:
        raise Invalid(EDIT_NOT_AUTHOR)
    if message.eliminado_en is not None:
        raise Invalid(EDIT_DELETED)
    window = current_app.config["EDIT_WINDOW"]
    if utc_now() - message.fecha > timedelta(seconds=window):
        raise Invalid(EDIT_TOO_LATE)


def locked_message(message_id):
    """The stored message, locked until the commit (two changes of one message take turns), or None."""
    return db.session.execute(select(Mensaje).where(Mensaje.id == message_id).with_for_update()).scalar_one_or_none()


def wait_for_store(message_id):
    """Whether the message is stored, waiting up to STORE_WAIT for the writer if it holds it unstored.

    A message is delivered (and may be edited on the page) once it is in the spool, but
    the writer stores it a moment later (WRITER_INTERVAL, longer while the database is
    away). A short wait covers the usual case; past it the page is told to retry. An id
    neither stored nor unstored is refused: a private note's (notes are not messages) or none.
    """
    db.session.commit()
    deadline = time.monotonic() + STORE_WAIT
    holding = pending.holds(message_id)
    while True:
        if db.session.scalar(select(Mensaje.id).where(Mensaje.id == message_id)) is not None:
            db.session.commit()
            return True  # stored meanwhile (also: stored between the first read and the check)
        db.session.commit()
        if not holding:
            note = db.session.scalar(select(Nota.id).where(Nota.id == message_id))
            db.session.commit()
            raise Invalid(EDIT_NOTE if note is not None else EDIT_UNKNOWN)
        if time.monotonic() >= deadline:
            return False
        socketio.sleep(STORE_POLL)


def deleted_ack(message):
    """The acknowledgement of a deletion, given again to a second one."""
    return {"ok": True, "id": message.id, "eliminado_en": iso_utc(message.eliminado_en)}


def first_ack(por, cid):
    """The acknowledgement of the change this author made with this cid, or None."""
    if cid is None:
        return None
    found = db.session.execute(select(EdicionMensaje.mensaje_id, EdicionMensaje.accion, EdicionMensaje.cuando)
                               .where(EdicionMensaje.por == por, EdicionMensaje.cid == cid)).first()
    db.session.commit()  # end the read: no snapshot kept open (MariaDB's REPEATABLE READ)
    if found is None:
        return None
    key = "editado_en" if found.accion == EDIT else "eliminado_en"
    return {"ok": True, "id": found.mensaje_id, key: iso_utc(found.cuando)}


def parse_target(data):
    """(id, cid) from an editar_mensaje or borrar_mensaje payload, or Invalid saying what is wrong."""
    if not isinstance(data, dict):
        raise Invalid("El cambio debe ser un objeto {id}")
    message_id, cid = data.get("id"), data.get("cid")
    if isinstance(message_id, bool) or not isinstance(message_id, int) or not 0 < message_id <= MAX_ID:
        raise Invalid("Falta el mensaje (id)")
    if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= CID_MAX_LENGTH or not encodable(cid)):
        raise Invalid(f"cid debe ser texto de 1 a {CID_MAX_LENGTH} caracteres")
    return message_id, cid


def parse_text(data, max_length):
    """The new text of an editar_mensaje payload, checked as a message's, or Invalid."""
    mensaje = data.get("mensaje")
    if not isinstance(mensaje, str):
        raise Invalid("El mensaje debe ser texto")
    if not mensaje.strip():
        raise Invalid("El mensaje está vacío")
    if len(mensaje) > max_length:
        raise Invalid(f"El mensaje supera los {max_length} caracteres")
    if not encodable(mensaje):
        raise Invalid("El mensaje contiene caracteres no válidos")
    return mensaje
