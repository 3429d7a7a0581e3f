"""/api/widget: what the widget asks before a visitor writes, and the tokens of guests and verified users.

No route here reads a cookie or sets one: the widget keeps its token in its own storage and
sends it as `Authorization: Bearer` (accounts/tokens.py) and as the socket's `auth`. So the
blueprint is exempt from CSRF, which protects ambient credentials only.
"""
from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from soporte.accounts import guests, identity
from soporte.accounts.tokens import bearer_token, issue_token
from soporte.accounts.lookup import find_account
from soporte.accounts.widget_customers import BadCustomerData
from soporte.extensions import csrf, limiter
from soporte.inbox.hours_api import agents_online, opening_now
from soporte.web.auth import token_required
from soporte.web.errors import database_error, error_response

bp = Blueprint("widget_api", __name__, url_prefix="/api/widget")
bp.register_error_handler(SQLAlchemyError, database_error)
csrf.exempt(bp)


@bp.errorhandler(429)
def too_many_guests(error):
    """Over GUEST_RATE_LIMIT from one address: 429 JSON with Retry-After, no guest made."""
    return error_response(429, _("Demasiados visitantes nuevos desde esta dirección; espera un rato"))


@bp.errorhandler(BadCustomerData)
def bad_customer_data(error):
    """A name or address that cannot be stored, or a required pre-chat field missing: 400 with why."""
    return error_response(400, str(error))


def json_object():
    """The request's JSON object; an empty one for no body, BadCustomerData for anything else."""
    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise BadCustomerData(_("El cuerpo debe ser un objeto JSON"))
    return data


def signed_in(usuario, status=200):
    """The token, username and display name of a widget customer: what the widget keeps."""
    return jsonify(token=issue_token(usuario), usuario=usuario.usuario, nombre=usuario.nombre), status


@bp.route("/config")
def config():
    """What the widget offers here: guests, the pre-chat form, verified identity, business hours, agents online."""
    settings = current_app.config
    response = jsonify({
        "invitados": settings["GUESTS_ENABLED"],
        "prechat": [{"campo": field, "obligatorio": required} for field, required in settings["PRECHAT_FIELDS"]],
        "identidad": bool(settings["IDENTITY_SECRET"]),
        "horario": opening_now(),
        "agentes_en_linea": agents_online(),
    })
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/invitado", methods=["POST"])
@limiter.limit(lambda: current_app.config["GUEST_RATE_LIMIT"],
               deduct_when=lambda response: response.status_code == 201)  # guests made count, refusals do not
def invitado():
    """Create a guest customer from the pre-chat form ({nombre?, email?}): 201 with their token."""
    if not current_app.config["GUESTS_ENABLED"]:
        return error_response(403, _("El chat sin cuenta no está disponible; inicia sesión para escribirnos"))
    return signed_in(guests.create_guest(json_object()), 201)


@bp.route("/identidad", methods=["POST"])
def identidad():
    """The token of a website's verified user ({id, hash, nombre?, email?}): the same customer on every call."""
    if not current_app.config["IDENTITY_SECRET"]:
        return error_response(403, _("La identidad verificada no está activada"))
    data = json_object()
    if not identity.valid_external_id(data.get("id")):
        return error_response(400, _("El id debe tener de 1 a 128 letras, números o . _ @ : + = | -"))
    if not identity.proved(data["id"], data.get("hash")):
        return error_response(403, _("La firma de la identidad no es válida"))
    usuario = identity.verified_customer(data["id"], data)
    if not usuario.activo:
        return error_response(403, _("Esta cuenta está desactivada"))
    return signed_in(usuario)


@bp.route("/renovar", methods=["POST"])
@token_required
def renovar():
    """A fresh token (GUEST_TOKEN_EXPIRES) for a guest's still valid one: the widget renews it past half its life.

    A guest has no password, so a token left to expire is the end of their conversation on
    that browser; the widget asks for a new one when its page loads (static/js/widget.js).
    """
    if bearer_token() is None:  # the header only: this blueprint checks no CSRF token
        return error_response(401, "No autenticado")
    usuario = find_account(g.usuario["user"])
    if usuario is None or not usuario.invitado:  # others log in again (a verified user: through the website)
        return error_response(403, _("Solo un visitante sin cuenta renueva así su sesión"))
    return signed_in(usuario)
