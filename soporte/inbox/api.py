"""The /api blueprint: every JSON route of the inbox (and /api/presencia), with its error answers registered once."""
from flask import Blueprint
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from soporte.inbox.params import BadParameter
from soporte.web.errors import bad_parameter, database_error, error_response

TOO_MANY_WRITES = "Demasiados cambios seguidos; espera un momento"

bp = Blueprint("api", __name__, url_prefix="/api")
bp.register_error_handler(BadParameter, bad_parameter)
bp.register_error_handler(SQLAlchemyError, database_error)


@bp.errorhandler(429)
def too_many_requests(error):
    """A write over its rate limit (soporte/inbox/limits.py): 429 JSON, with Retry-After, nothing done."""
    return error_response(429, TOO_MANY_WRITES)


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    """A state-changing API call without the page's CSRF token (X-CSRFToken): 400, nothing done."""
    return error_response(400, "Falta el token CSRF o no es válido; recarga la página")
