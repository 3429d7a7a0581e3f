"""The rate limit of the agents' REST writes (labels, the customer's note), counted per account."""
from flask import current_app, request

from soporte.accounts.tokens import current_claims
from soporte.extensions import limiter
from soporte.inbox.api import bp
from soporte.web.errors import error_response

TOO_MANY_WRITES = "Demasiados cambios seguidos; espera un momento"


def account_key():
    """Who a write is counted against: the logged-in account, else the client's address."""
    claims = current_claims()
    return f"cuenta:{claims['user']}" if claims else f"ip:{request.remote_addr}"


# INBOX_WRITE_RATE_LIMIT (Flask-Limiter syntax) for each decorated route, one count per account and route
agent_write_limit = limiter.limit(lambda: current_app.config["INBOX_WRITE_RATE_LIMIT"], key_func=account_key)


@bp.errorhandler(429)
def too_many_writes(error):
    """An agent past INBOX_WRITE_RATE_LIMIT: 429 JSON (Retry-After comes from the limiter)."""
    return error_response(429, TOO_MANY_WRITES)
