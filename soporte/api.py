"""REST history: a conversation's messages and the agents' list of conversations."""
from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .auth import admin_required, token_required
from .chat import get_chat
from .errors import error_response
from .extensions import db
from .display_names import with_author_names
from .models import Mensaje, message_json

bp = Blueprint("api", __name__, url_prefix="/api")

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_ID = 2**63 - 1
MESSAGE_COLUMNS = (Mensaje.id, Mensaje.de_usuario, Mensaje.para_usuario, Mensaje.mensaje, Mensaje.fecha,
                   Mensaje.cid)  # BIGINT: a larger antes/despues would overflow the driver, not just match nothing


class BadParameter(ValueError):
    """A query parameter that is missing or malformed (answered with 400)."""


@bp.errorhandler(BadParameter)
def bad_parameter(error):
    """Answer a bad query parameter with 400 and what is wrong."""
    return error_response(400, str(error))


@bp.errorhandler(SQLAlchemyError)
def database_error(error):
    """Answer a database failure with 500, logging the cause and showing no trace."""
    current_app.logger.exception("api: database error")
    db.session.rollback()
    return error_response(500, "Error de base de datos: inténtalo de nuevo")


@bp.route("/mensajes")
@admin_required
def mensajes():
    """One customer's conversation with support, oldest first (agents only)."""
    return jsonify(with_author_names(conversation_page(con_param())))


@bp.route("/mensajes/mios")
@token_required
def mensajes_mios():
    """The caller's own conversation with support, oldest first."""
    return jsonify(with_author_names(conversation_page(g.usuario["user"])))


@bp.route("/usuarios-conversaciones")
@admin_required
def usuarios_conversaciones():
    """Customers with a conversation, most recent activity first (agents only)."""
    chat = get_chat()
    return jsonify(chat.conversations.names(db.session, chat.writer.pending_rows()))


def con_param():
    """The customer a request is about (`con`), or BadParameter."""
    con = request.args.get("con", "").strip()
    if not con:
        raise BadParameter("Falta el parámetro con")
    return con


def int_param(name, minimum=1, maximum=None, default=None):
    """An integer query parameter within bounds, or BadParameter."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} debe ser un número entero") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" y {maximum}" if maximum is not None else ""
        raise BadParameter(f"{name} debe estar entre {minimum}{upper}")
    return value


def conversation_page(conversacion):
    """A page of one conversation as the request's limite/antes/despues ask, oldest first."""
    limite = int_param("limite", maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    from .search import around_param, page_around  # search imports this module

    around = around_param()
    if around is not None:  # opening a search result: the page centred on that message
        return page_around(conversacion, around, limite)
    antes = int_param("antes", maximum=MAX_ID)
    despues = int_param("despues", minimum=0, maximum=MAX_ID)
    query = select(*MESSAGE_COLUMNS).where(Mensaje.conversacion == conversacion)
    if antes is not None:
        query = query.where(Mensaje.id < antes)
    if despues is not None:  # catch-up: the oldest ones after despues
        query = query.where(Mensaje.id > despues).order_by(Mensaje.id)
    else:  # the latest ones
        query = query.order_by(Mensaje.id.desc())
    # plain rows, not ORM objects: a page is read-only, and building 100 entities costs more than the query
    viewer = g.usuario["user"]
    found = {m.id: message_json(m, viewer) for m in db.session.execute(query.limit(limite))}
    for row in get_chat().writer.pending_rows(conversacion):  # delivered, not yet committed
        if (antes is None or row["id"] < antes) and (despues is None or row["id"] > despues):
            found.setdefault(row["id"], message_json(row, viewer))
    ids = sorted(found)
    ids = ids[:limite] if despues is not None else ids[-limite:]
    return [found[i] for i in ids]
