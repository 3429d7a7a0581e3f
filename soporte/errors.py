"""JSON errors for the API and the one shape of a refused socket message."""
from flask import jsonify


def error_response(status, message):
    """A JSON `{"error": message}` response with the given HTTP status."""
    response = jsonify(error=message)
    response.status_code = status
    return response


def refused(message):
    """The acknowledgement of a socket message that was not accepted."""
    return {"ok": False, "error": message}
