"""nota_interna: an agent's private note in a customer's conversation, for agents only.

A note is not a message: it has its own table (models.Nota), is committed straight to
the database before its acknowledgement (few of them, and each durable at once), and
never goes through the message writer. So it reaches no customer's room or history,
and it is never the reply that ends the customer's wait (the writer sees messages only).
Every agent hears of it through `nota_creada` (emitter.announce_note).
"""
from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from soporte.accounts.directory import check_customer
from soporte.extensions import db
from soporte.inbox.note_history import note_event
from soporte.models import Nota, iso_utc
from soporte.protocol import NO_NODE, TOO_MANY, Invalid, refused
from soporte.realtime import emitter
from soporte.relay.chat import get_chat
from soporte.relay.ids import NoNode
from soporte.relay.validation import CID_MAX_LENGTH, encodable

MAX_NAME = 64  # the longest account name


def on_nota_interna(sender, data):
    """An agent writes a private note: stored once per cid, then shown to every agent, never the customer."""
    con, texto, cid = parse_note(data, current_app.config["MAX_MESSAGE_LENGTH"])
    check_customer(con, "No se pudo comprobar la conversación; inténtalo de nuevo")
    earlier = first_ack(sender.user, cid)
    if earlier:
        return earlier  # a retry: stored already, answered as the first time
    if not sender.bucket.take():  # the socket's message allowance: each note is a database write
        return refused(TOO_MANY)
    try:
        note_id, fecha = get_chat().ids.next()
    except NoNode:  # without a node an id could be another process's too
        sender.bucket.give_back()
        return refused(NO_NODE)
    row = {"id": note_id, "conversacion": con, "autor": sender.user, "texto": texto, "fecha": fecha, "cid": cid}
    try:
        db.session.execute(insert(Nota).values(**row))
        db.session.commit()
    except IntegrityError:  # the same cid stored meanwhile (a retry that raced the first try)
        db.session.rollback()
        earlier = first_ack(sender.user, cid)
        if earlier:
            return earlier
        raise
    emitter.announce_note(note_event(row, sender.nombre), skip_sid=sender.sid)  # this tab has the ack
    return {"ok": True, "id": note_id, "fecha": iso_utc(fecha)}


def parse_note(data, max_length):
    """(con, texto, cid) from a nota_interna payload, or Invalid saying what is wrong."""
    if not isinstance(data, dict):
        raise Invalid("La nota debe ser un objeto {con, texto}")
    con, texto, cid = data.get("con"), data.get("texto"), data.get("cid")
    if not isinstance(con, str) or not con.strip() or len(con) > MAX_NAME or not encodable(con):
        raise Invalid("Falta la conversación (con)")
    if not isinstance(texto, str):
        raise Invalid("La nota debe ser texto")
    if not texto.strip():
        raise Invalid("La nota está vacía")
    if len(texto) > max_length:
        raise Invalid(f"La nota supera los {max_length} caracteres")
    if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= CID_MAX_LENGTH):
        raise Invalid(f"cid debe ser texto de 1 a {CID_MAX_LENGTH} caracteres")
    if not encodable(texto) or (cid is not None and not encodable(cid)):
        raise Invalid("La nota contiene caracteres no válidos")
    return con, texto, cid


def first_ack(autor, cid):
    """The acknowledgement of the note this author stored with this cid, or None."""
    if cid is None:
        return None
    found = db.session.execute(select(Nota.id, Nota.fecha).where(Nota.autor == autor, Nota.cid == cid)).first()
    db.session.commit()  # end the read: no snapshot kept open (MariaDB's REPEATABLE READ)
    return {"ok": True, "id": found.id, "fecha": iso_utc(found.fecha)} if found else None
