"""JSON errors for the HTTP API (a socket's refusal is protocol.refused)."""
from flask import current_app, jsonify

from soporte.extensions import db


def error_response(status, message):
    """A JSON `{"error": message}` response with the given HTTP status."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def bad_parameter(error):
    """Answer a bad query parameter with 400 and what is wrong."""
    return error_response(400, str(error))


def database_error(error):
    """Answer a database failure with 500, logging the cause and showing no trace."""
    current_app.logger.exception("api: database error")
    db.session.rollback()
    return error_response(500, "Error de base de datos: inténtalo de nuevo")
