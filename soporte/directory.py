"""Who is who: account roles looked up by name, cached so sending rarely waits on the database."""
import time

from .extensions import db
from .models import Usuario

FOUND_TTL = 60.0
MISSING_TTL = 5.0  # short: a customer who registers is writable at once


class Directory:
    """A per-process cache of account roles."""

    def __init__(self):
        self._roles = {}

    def role_of(self, username):
        """The role of an account ('admin', 'user') or None when there is none."""
        now = time.monotonic()
        cached = self._roles.get(username)
        if cached and cached[0] > now:
            return cached[1]
        rol = db.session.execute(
            db.select(Usuario.rol).filter_by(usuario=username)
        ).scalar_one_or_none()
        db.session.commit()  # end the read transaction: no snapshot kept open
        self._roles[username] = (now + (FOUND_TTL if rol else MISSING_TTL), rol)
        return rol

    def forget(self, username):
        """Drop a cached role after the account changes."""
        self._roles.pop(username, None)
