"""The rate limit of the agents' REST writes (canned replies, labels, the customer's note), counted per account.

One setting, INBOX_WRITE_RATE_LIMIT (Flask-Limiter syntax), for every area; each area's
writes (creating, changing, deleting) share one allowance, per agent whatever address they
come from. Past it: 429 JSON with Retry-After (soporte/inbox/api.py), nothing done.
"""
from flask import current_app, request

from soporte.accounts.tokens import current_claims
from soporte.extensions import limiter


def account_key():
    """Who a write is counted against: the logged-in account, else the client's address."""
    claims = current_claims()
    return f"cuenta:{claims['user']}" if claims else f"ip:{request.remote_addr}"


def agent_writes(scope):
    """The decorator of one area's write routes: one INBOX_WRITE_RATE_LIMIT allowance per agent for all of them."""
    return limiter.shared_limit(lambda: current_app.config["INBOX_WRITE_RATE_LIMIT"], scope=scope, key_func=account_key)
