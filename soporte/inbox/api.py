"""The /api blueprint: every JSON route of the inbox (and /api/presencia), with its error answers registered once."""
from flask import Blueprint
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from soporte.inbox.params import BadParameter
from soporte.web.errors import bad_parameter, database_error, error_response

bp = Blueprint("api", __name__, url_prefix="/api")
bp.register_error_handler(BadParameter, bad_parameter)
bp.register_error_handler(SQLAlchemyError, database_error)


@bp.errorhandler(429)
def too_many_requests(error):
    """A write over its rate limit (Flask-Limiter): 429 JSON, with Retry-After, nothing done."""
    return error_response(429, "Demasiadas peticiones; espera un momento")


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    """A state-changing API call without the page's CSRF token (X-CSRFToken): 400, nothing done."""
    return error_response(400, "Falta el token CSRF o no es válido; recarga la página")
