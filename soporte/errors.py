"""JSON errors for the HTTP API (a socket's refusal is protocol.refused)."""
from flask import jsonify


def error_response(status, message):
    """A JSON `{"error": message}` response with the given HTTP status."""
    response = jsonify(error=message)
    response.status_code = status
    return response

