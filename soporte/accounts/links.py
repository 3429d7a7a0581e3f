"""One-time links to set a password (an invitation, or a supervisor's reset): made, checked, used once.

The link carries a random token; the database keeps only its SHA-256, with the expiry
(INVITATION_TTL) and the time it was used. A link works once: using it is one UPDATE
that only a link not used yet passes.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from soporte.extensions import db
from soporte.models import Invitacion, utc_now

INVITE, RESET = "invitacion", "restablecer"
TOKEN_BYTES = 32
# why a link cannot be used (the page says each in words)
UNKNOWN, USED, EXPIRED = "desconocido", "usado", "caducado"


def token_hash(token):
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_link(username, tipo, creada_por):
    """Make a link for an account (retiring its unused ones) in the current transaction; its token."""
    db.session.execute(delete(Invitacion).where(Invitacion.usuario == username, Invitacion.usada_en.is_(None)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utc_now()
    db.session.add(Invitacion(token_hash=token_hash(token), usuario=username, tipo=tipo, creada_por=creada_por,
                              creada_en=now, expira_en=now + timedelta(hours=current_app.config["INVITATION_TTL"])))
    return token


def retire_links(username):
    """Drop an account's unused links (it was deactivated), in the current transaction."""
    db.session.execute(delete(Invitacion).where(Invitacion.usuario == username, Invitacion.usada_en.is_(None)))


def find_link(token):
    """The link a token opens and None, or None and why it cannot be used (UNKNOWN, USED, EXPIRED)."""
    if not token or len(token) > 128:
        return None, UNKNOWN
    link = db.session.execute(select(Invitacion).filter_by(token_hash=token_hash(token))).scalar_one_or_none()
    if link is None:
        return None, UNKNOWN
    if link.usada_en is not None:
        return None, USED
    if link.expira_en <= utc_now():
        return None, EXPIRED
    return link, None


def use_link(link):
    """Mark a link used in the current transaction; False when another request used it first."""
    done = db.session.execute(update(Invitacion).where(Invitacion.id == link.id, Invitacion.usada_en.is_(None))
                              .values(usada_en=utc_now()))
    return done.rowcount == 1


def pending_links(usernames):
    """The newest unused link of each of these accounts: {username: Invitacion}."""
    if not usernames:
        return {}
    rows = db.session.scalars(select(Invitacion).where(Invitacion.usuario.in_(usernames),
                                                       Invitacion.usada_en.is_(None))
                              .order_by(Invitacion.creada_en)).all()
    return {row.usuario: row for row in rows}
