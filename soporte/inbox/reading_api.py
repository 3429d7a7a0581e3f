"""REST for read state: an agent's unread conversations, and how far support has read a customer."""
from flask import g, jsonify

from soporte.inbox import reading
from soporte.inbox.api import bp
from soporte.web.auth import admin_required, token_required


@bp.route("/lecturas")
@admin_required
def lecturas():
    """The calling agent's conversations with unread messages: {customer: {leido_hasta, sin_leer, ultimo}}."""
    return jsonify(reading.unread_for(g.usuario["user"]))


@bp.route("/visto")
@token_required
def visto():
    """How far support has read the caller's conversation: {"hasta": id or null}."""
    return jsonify(hasta=reading.seen_up_to(g.usuario["user"]))
