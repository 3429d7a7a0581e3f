"""REST history: a conversation's messages (the latest, a catch-up, or the page around one) and the agents' list.

Agents may ask for their private notes among the messages (notas=1); the customer's route never has them.
"""
from flask import g, jsonify, request
from sqlalchemy import select

from soporte.accounts.display_names import with_author_names
from soporte.extensions import db
from soporte.files.attachments import add_to_messages
from soporte.inbox.api import bp
from soporte.inbox.note_history import notes_around, notes_page
from soporte.inbox.params import DEFAULT_LIMIT, MAX_LIMIT, BadParameter, con_param, flag_param, int_param
from soporte.models import Mensaje, message_json
from soporte.protocol import MAX_ID
from soporte.relay import pending
from soporte.relay.chat import get_chat
from soporte.web.auth import admin_required, token_required

MESSAGE_COLUMNS = (Mensaje.id, Mensaje.de_usuario, Mensaje.para_usuario, Mensaje.mensaje, Mensaje.fecha,
                   Mensaje.cid, Mensaje.editado_en, Mensaje.eliminado_en)  # BIGINT: a larger antes/despues would overflow the driver, not just match nothing


@bp.route("/mensajes")
@admin_required
def mensajes():
    """One customer's conversation with support, oldest first; with notas=1 the agents' notes too (agents only)."""
    return jsonify(with_author_names(add_to_messages(conversation_page(con_param(), notes=flag_param("notas")))))


@bp.route("/mensajes/mios")
@token_required
def mensajes_mios():
    """The caller's own conversation with support, oldest first (never a note, whatever is asked)."""
    return jsonify(with_author_names(add_to_messages(conversation_page(g.usuario["user"]))))


@bp.route("/usuarios-conversaciones")
@admin_required
def usuarios_conversaciones():
    """Customers with a conversation, most recent activity first (agents only)."""
    chat = get_chat()
    return jsonify(chat.conversations.names(db.session, pending.unstored()))


def conversation_page(conversacion, notes=False):
    """A page of one conversation as the request's limite/antes/despues ask, oldest first.

    notes: the agents' private notes are items of the page too, by id: each side is asked
    for a whole page, so the merged page is exact.
    """
    limite = int_param("limite", maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    around = around_param()
    if around is not None:  # opening a search result: the page centred on that message
        return page_around(conversacion, around, limite, notes)
    antes = int_param("antes", maximum=MAX_ID)
    despues = int_param("despues", minimum=0, maximum=MAX_ID)
    query = select(*MESSAGE_COLUMNS).where(Mensaje.conversacion == conversacion)
    if antes is not None:
        query = query.where(Mensaje.id < antes)
    if despues is not None:  # catch-up: the oldest ones after despues
        query = query.where(Mensaje.id > despues).order_by(Mensaje.id)
    else:  # the latest ones
        query = query.order_by(Mensaje.id.desc())
    # the snapshot before the database: a row the storer commits after this read is in the
    # snapshot, while one taken after the read could miss a row stored in between
    unstored = pending.matching(pending.unstored(conversacion), after=despues, before=antes)  # delivered already
    # plain rows, not ORM objects: a page is read-only, and building 100 entities costs more than the query
    viewer = g.usuario["user"]
    found = {m.id: message_json(m, viewer) for m in db.session.execute(query.limit(limite))}
    pending.merge(found, unstored, lambda row: message_json(row, viewer))
    if notes:
        found.update(notes_page(conversacion, viewer, limite, antes=antes, despues=despues))
    return pending.in_id_order(found, limite, newest=despues is None)


def page_around(conversacion, message_id, limite, notes=False):
    """limite messages of a conversation centred on message_id, oldest first.

    Up to limite - limite // 2 messages up to and including it, and limite // 2 after
    it, so the page can show it and then page with antes/despues as usual.
    """
    older, newer = limite - limite // 2, limite // 2
    viewer = g.usuario["user"]
    unstored = pending.unstored(conversacion)  # before the database, as in conversation_page
    base = select(Mensaje).where(Mensaje.conversacion == conversacion)
    found = {m.id: message_json(m, viewer) for m in db.session.scalars(
        base.where(Mensaje.id <= message_id).order_by(Mensaje.id.desc()).limit(older))}
    if newer:
        found.update((m.id, message_json(m, viewer)) for m in db.session.scalars(
            base.where(Mensaje.id > message_id).order_by(Mensaje.id).limit(newer)))
    pending.merge(found, unstored, lambda row: message_json(row, viewer))  # delivered already
    if notes:
        found.update(notes_around(conversacion, viewer, message_id, older, newer))
    ids = sorted(found)
    before = [i for i in ids if i <= message_id][-older:]
    after = [i for i in ids if i > message_id][:newer]
    return [found[i] for i in before + after]


def around_param():
    """The alrededor parameter of a history request (None when absent), checked."""
    around = int_param("alrededor", maximum=MAX_ID)
    if around is not None and (request.args.get("antes") or request.args.get("despues")):
        raise BadParameter("alrededor no se puede combinar con antes ni despues")
    return around
