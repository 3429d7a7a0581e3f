"""mensaje_privado: the relay of private messages, from a checked sender to durable delivery."""
from flask import current_app

from soporte.accounts.directory import check_customer
from soporte.files import attachments
from soporte.models import iso_utc
from soporte.protocol import NO_NODE, RESTARTING, TOO_MANY, Invalid, refused
from soporte.realtime.sessions import check_still_agent
from soporte.relay.chat import get_chat
from soporte.relay.delivery import Outgoing, acknowledge
from soporte.relay.freshness import get_freshness, parse_seen
from soporte.relay.ids import NoNode
from soporte.relay.validation import parse_private_message
from soporte.relay.writer import NotStored

MAX_NAME = 200  # longer than any account name (64 characters in the database)


def relay(sender, data):
    """mensaje_privado: validate, make durable (spool or database), then deliver and ack."""
    chat = get_chat()
    para, mensaje, cid = parse_private_message(data, current_app.config["MAX_MESSAGE_LENGTH"])
    seen = parse_seen(data, sender)  # an agent's visto_hasta: refuse a stale reply
    check_recipient(sender, para)
    check_still_agent(sender)
    customer = para if sender.rol == "admin" else sender.user
    earlier = chat.ack_for(sender.user, cid)
    if earlier:
        return earlier  # a retry: already delivered and stored once
    held = chat.held_for(sender.user, cid)
    if held:  # a retry while the first try is still being journaled: its outcome, not a second copy
        return acknowledge(chat, held, cid, current_app.config["ACK_TIMEOUT"])
    adjuntos = data.get("adjuntos")  # a message without attachments pays this dict lookup and nothing more
    if adjuntos:  # after the retries: a stored message's attachments are linked, a retry must not be refused
        adjuntos = attachments.claim(attachments.parse_ids(adjuntos, current_app.config["ATTACHMENTS_PER_MESSAGE"]),
                                     sender.user, customer)
        mensaje = attachments.with_links(mensaje.strip() and mensaje, adjuntos)
    if not chat.writer.accepting:  # shutting down: a refusal now is a clean "nothing happened"
        return refused(RESTARTING)
    if not sender.bucket.take():  # only a message that passed every check spends the allowance
        return refused(TOO_MANY)
    try:
        message_id, fecha = chat.ids.next()
    except NoNode:  # no node held (Redis away at start, or too long): an id could be another process's too
        sender.bucket.give_back()  # not the sender's doing
        return refused(NO_NODE)
    payload = {"de": sender.user, "nombre": sender.nombre, "mensaje": mensaje, "id": message_id,
               "para": para, "fecha": iso_utc(fecha)}  # nombre: the sender's display name, for the pages
    if adjuntos:
        payload["adjuntos"] = adjuntos
    stale = get_freshness().admit(customer, payload, seen)  # memory (and Redis), never the database
    if stale:
        sender.bucket.give_back()  # refused after all: a refusal, not a message
        sender.refusals.take()
        return stale  # not remembered as an ack: "send anyway" reuses the cid
    try:
        row = {"id": message_id, "de_usuario": sender.user, "para_usuario": para,
               "conversacion": customer, "mensaje": mensaje, "fecha": fecha, "cid": cid}
        if adjuntos:  # the spool carries them: the storer links them with the message (writer.store)
            row["adjuntos"] = adjuntos
        group = chat.writer.submit(row)
    except NotStored:  # it stopped accepting meanwhile
        return refused(RESTARTING)
    return acknowledge(chat, Outgoing(sender, payload, group), cid, current_app.config["ACK_TIMEOUT"])


def check_recipient(sender, para):
    """Apply the routing rules: customers write to the inbox, agents to existing customers."""
    if sender.rol != "admin":
        if para != current_app.config["SUPPORT_INBOX"]:
            raise Invalid("Solo puedes escribir a soporte")
        return
    if len(para) > MAX_NAME:  # no account has such a name: not worth a lookup (nor a cache entry)
        raise Invalid(f"No existe el usuario {para}")
    check_customer(para, "No se pudo comprobar el destinatario; inténtalo de nuevo")
