"""REST view of presence: who is online, as the caller may know it."""
from flask import jsonify

from soporte.inbox.api import bp
from soporte.presence.online import get_presence, view_for
from soporte.web.auth import current_account
from soporte.web.errors import error_response


@bp.route("/presencia")
def presencia():
    """Who is online, as the caller may know it (agents: everyone; customers: whether support is)."""
    usuario = current_account()  # the role as the directory says now, like the other API routes
    if usuario is None:
        return error_response(401, "No autenticado")
    return jsonify(view_for(usuario["rol"], get_presence().online()))
