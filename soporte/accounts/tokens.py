"""The login JWT: what it holds, how it is signed and checked."""
import secrets
from datetime import datetime, timedelta, timezone

import jwt
from flask import current_app, request

from soporte.accounts.revocation import get_revocations

ALGORITHM = "HS256"
COOKIE_NAME = "token"


def lifetime(usuario):
    """Seconds a new token of this account lasts: GUEST_TOKEN_EXPIRES for a guest, JWT_EXPIRES for everyone else.

    A guest has no password: the token is their only way back to the conversation, days later
    too. Everyone else logs in again (a website's verified user through the website, each visit).
    """
    return current_app.config["GUEST_TOKEN_EXPIRES" if usuario.invitado else "JWT_EXPIRES"]


def issue_token(usuario):
    """Sign a token for an account (a models.Usuario)."""
    now = datetime.now(timezone.utc)
    claims = {
        "user": usuario.usuario,
        "name": usuario.nombre,
        "rol": usuario.rol,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime(usuario)),
        "jti": secrets.token_urlsafe(16),  # names this login, so logout can revoke it
        # the account's login generation: a password reset or a deactivation raises it, ending this login
        "gen": usuario.generacion or 0,
    }
    return jwt.encode(claims, current_app.config["JWT_SECRET"], algorithm=ALGORITHM)


def read_token(token):
    """Return the claims of a valid token, or None for any bad, expired or revoked one."""
    try:
        claims = jwt.decode(
            token,
            current_app.config["JWT_SECRET"],
            algorithms=[ALGORITHM],  # pinned: never trust the token's own `alg`
            options={"require": ["exp", "iat", "user", "rol", "jti"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("rol") not in ("admin", "user") or not isinstance(claims.get("user"), str):
        return None
    # pyjwt accepts "exp": "1700000000" (it calls int()); the protocol's claims are numbers
    if not isinstance(claims["jti"], str) or not all(
            isinstance(claims[k], (int, float)) and not isinstance(claims[k], bool) for k in ("exp", "iat")):
        return None
    if not isinstance(claims.setdefault("gen", 0), int) or isinstance(claims["gen"], bool):
        return None  # a token older than generations carries none: it is generation 0
    if get_revocations().is_revoked(claims["jti"]):
        return None
    return claims


def bearer_token():
    """The token of this request's `Authorization: Bearer` header (the website widget's), or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_only():
    """Whether this request authenticates by its header alone, carrying no token cookie (no CSRF check:
    soporte/web/security.py)."""
    return bearer_token() is not None and COOKIE_NAME not in request.cookies


def current_claims():
    """The valid token claims of this request (its Bearer header, else its cookie), or None.

    The header wins: a widget that names its guest must not act as whoever else is logged
    in on this browser.
    """
    token = bearer_token() or request.cookies.get(COOKIE_NAME)
    return read_token(token) if token else None


def set_token_cookie(response, token):
    """Attach the token cookie to a response, with the protocol's flags."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=current_app.config["JWT_EXPIRES"],
        httponly=True,
        samesite="Lax",
        secure=current_app.config["COOKIE_SECURE"],
    )
    return response


def clear_token_cookie(response):
    """Remove the token cookie from the browser."""
    response.delete_cookie(
        COOKIE_NAME, httponly=True, samesite="Lax", secure=current_app.config["COOKIE_SECURE"]
    )
    return response
