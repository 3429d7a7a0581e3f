"""The JSON routes of email: an account's address (and an agent's opt-in), and a customer's transcript request."""
from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from soporte.extensions import db, limiter
from soporte.inbox.limits import account_key
from soporte.inbox.params import BadParameter
from soporte.mail.addresses import address_error, normalized
from soporte.mail.notices import queue_transcript
from soporte.models import Usuario
from soporte.web.auth import token_required
from soporte.web.errors import bad_parameter, database_error, error_response
from soporte.web.i18n import LANGUAGES

NO_ADDRESS = "Primero indica tu dirección de correo"
CUSTOMERS_ONLY = "Solo los clientes pueden pedir la transcripción"
TOO_MANY = "Demasiadas peticiones de correo; espera un rato"

bp = Blueprint("correo", __name__, url_prefix="/api/correo")
bp.register_error_handler(BadParameter, bad_parameter)
bp.register_error_handler(SQLAlchemyError, database_error)
limited = limiter.shared_limit(lambda: current_app.config["EMAIL_RATE_LIMIT"], scope="correo", key_func=account_key)


@bp.errorhandler(429)
def too_many_requests(error):
    """Over EMAIL_RATE_LIMIT: 429 JSON, nothing done."""
    return error_response(429, TOO_MANY)


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    """A change without the page's CSRF token (X-CSRFToken): 400, nothing done."""
    return error_response(400, "Falta el token CSRF o no es válido; recarga la página")


def the_account():
    """The caller's stored account."""
    return db.session.execute(select(Usuario).filter_by(usuario=g.usuario["user"])).scalar_one()


def as_json(usuario):
    """What the page shows of an account's email settings."""
    body = {"email": usuario.email}
    if usuario.rol == "admin":
        body["avisos"] = bool(usuario.avisos_correo)
    return body


@bp.route("")
@token_required
def ver():
    """The caller's address (and an agent's opt-in to emails about conversations waiting)."""
    return jsonify(as_json(the_account()))


@bp.route("", methods=["PUT"])
@token_required
@limited
def guardar():
    """Set or clear the caller's address ({"email": text or null}); an agent may set {"avisos": bool} too."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not data or set(data) - {"email", "avisos"}:
        raise BadParameter("Se esperaba un objeto JSON con email (y avisos, para agentes)")
    usuario = the_account()
    if "email" in data:
        if data["email"] is not None and not isinstance(data["email"], str):
            raise BadParameter("email debe ser un texto o null")
        email = normalized(data["email"])
        error = address_error(email)
        if error:
            raise BadParameter(error)
        usuario.email = email
        if usuario.idioma not in LANGUAGES:  # the emails' language: the page's, when the account has none
            usuario.idioma = str(get_locale())
    if "avisos" in data:
        if usuario.rol != "admin" or not isinstance(data["avisos"], bool):
            raise BadParameter("avisos es un interruptor de los agentes: true o false")
        usuario.avisos_correo = data["avisos"]
    db.session.commit()
    return jsonify(as_json(usuario))


@bp.route("/transcripcion", methods=["POST"])
@token_required
@limited
def transcripcion():
    """Email the customer the transcript of their conversation (to their stored address)."""
    usuario = the_account()
    if usuario.rol != "user":
        return error_response(403, CUSTOMERS_ONLY)
    if not usuario.email:
        return error_response(400, NO_ADDRESS)
    queue_transcript(usuario)
    return jsonify({"ok": True, "email": usuario.email}), 202
