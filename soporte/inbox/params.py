"""The query parameters of the REST API: checked integers and names, and the error they raise."""
from flask import request

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class BadParameter(ValueError):
    """A query parameter that is missing or malformed (answered with 400)."""


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


def con_param():
    """The customer a request is about (`con`), or BadParameter."""
    con = request.args.get("con", "").strip()
    if not con:
        raise BadParameter("Falta el parámetro con")
    return con


def flag_param(name):
    """A 0/1 query parameter (absent: 0) as a bool, or BadParameter."""
    value = request.args.get(name, "0")
    if value not in ("0", "1"):
        raise BadParameter(f"{name} debe ser 0 o 1")
    return value == "1"
