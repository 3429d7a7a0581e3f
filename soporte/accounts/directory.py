"""Who is who: account roles looked up by name, cached so sending rarely waits on the database."""
import logging
import threading
import time

from flask import current_app

from soporte.extensions import db, socketio
from soporte.models import Usuario
from soporte.protocol import Invalid

log = logging.getLogger(__name__)

FOUND_TTL = 60.0
MISSING_TTL = 5.0  # short: a customer who registers is writable at once
RETRY_AFTER = 5.0  # seconds to keep answering from the cache after the database failed


class Batch:
    """Names waiting for one query of their roles."""

    __slots__ = ("names", "done", "error")

    def __init__(self, done):
        self.names = set()
        self.done = done  # set when the query has answered (or failed)
        # the database's exception when it failed; until the answers are in, what the waiters
        # get if the lookup running the query ends without them (its greenthread killed)
        self.error = LookupError("the role lookup ended without an answer")


class Directory:
    """A per-process cache of account roles.

    Privilege checks pass a short max_age (ROLE_CACHE_TTL), so a deleted or demoted
    agent loses access within seconds. When the database fails, the last answer
    known is used (a chat that keeps working during an outage), and raised only
    when there is none.
    """

    def __init__(self):
        self._roles = {}  # username -> (looked up at, rol)
        self._failed_until = 0.0
        self._refreshing = {}  # username -> event set when its background refresh ends
        self._gathering = None  # the Batch that names join until its query goes out
        self._gather_lock = threading.Lock()  # threading mode (flask run): real threads join batches

    def role_of(self, username, max_age=None, wait=None, generacion=None):
        """The role of an account ('admin', 'user') or None when there is none, or it is deactivated.

        max_age: seconds a cached answer may have; None: FOUND_TTL, or MISSING_TTL for no account.
        wait: when a stale answer is cached, wait at most this long for a fresh one and
        otherwise answer with the stale one (None: wait as long as the database takes).
        generacion: a login token's generation; None too when the account has ended the
        logins of that generation since (a password reset, a deactivation).
        """
        now = time.monotonic()
        cached = self._roles.get(username)
        if cached:
            limit = max_age if max_age is not None else (FOUND_TTL if cached[1] else MISSING_TTL)
            if now - cached[0] < limit or now < self._failed_until:
                return _for_login(cached, generacion)
            if wait is not None:
                return _for_login(self._refresh_within(username, wait), generacion)
        return _for_login(self._lookup(username), generacion)

    def _lookup(self, username):
        """Ask the database; on failure fall back to the cached answer, or raise if there is none.

        The names asked for while a lookup gathers go in its one query: in a storm of
        connects every socket asked for its own account, three round trips each (the
        pool's ping, the SELECT, the COMMIT), a quarter of the worker's CPU.
        """
        cached = self._roles.get(username)
        with self._gather_lock:
            batch = self._gathering
            lead = batch is None  # no batch gathering: this lookup runs one
            if lead:
                batch = self._gathering = Batch(socketio.server.eio.create_event())
            batch.names.add(username)
        if lead:
            self._run(batch)
        else:
            batch.done.wait()
        if batch.error is not None:
            if cached is None:
                raise batch.error
            log.warning("directory: database failed, using the last known role of %r", username)
            return cached
        return self._roles[username]

    def _run(self, batch):
        """Let the others join this batch for one turn of the event loop, then answer every name in one query."""
        try:
            socketio.sleep(0)
            self._close(batch)
            names = sorted(batch.names)
            try:
                found = db.session.execute(
                    db.select(Usuario.usuario, Usuario.rol, Usuario.activo, Usuario.generacion)
                    .where(Usuario.usuario.in_(names))
                ).all()
                db.session.commit()  # end the read transaction: no snapshot kept open
            except Exception as error:
                db.session.rollback()
                self._failed_until = time.monotonic() + RETRY_AFTER
                batch.error = error
                return
            # MariaDB's PAD SPACE collations find "ana" for "ana ": only the exact name is that account
            # a deactivated account is no account: no page, API call or socket lets it in
            roles = {row.usuario: (row.rol if row.activo else None, row.generacion) for row in found}
            now = time.monotonic()
            for name in names:
                self._roles[name] = (now, *roles.get(name, (None, 0)))
            batch.error = None
        finally:
            self._close(batch)  # even when this greenthread was killed: the next lookup starts afresh
            batch.done.set()

    def _close(self, batch):
        """Let no more names join this batch: later ones start a batch of their own."""
        with self._gather_lock:
            if self._gathering is batch:
                self._gathering = None

    def _refresh_within(self, username, wait):
        """Refresh a stale answer in the background, waiting for it at most `wait` seconds."""
        done = self._refreshing.get(username)
        if done is None:
            done = self._refreshing[username] = socketio.server.eio.create_event()
            socketio.start_background_task(self._refresh, current_app._get_current_object(), username, done)
        done.wait(wait)
        return self._roles[username]  # the fresh answer, or still the stale one

    def _refresh(self, app, username, done):
        """The background half of _refresh_within."""
        with app.app_context():
            try:
                self._lookup(username)
            except Exception:
                log.exception("directory: refreshing the role of %r failed", username)
            finally:
                self._refreshing.pop(username, None)
                done.set()

    def forget(self, username):
        """Drop a cached role after the account changes."""
        self._roles.pop(username, None)


def _for_login(cached, generacion):
    """A cached (looked up at, rol, generacion) as the role a login of `generacion` has (None: ended)."""
    if generacion is not None and generacion < cached[2]:
        return None
    return cached[1]


def init_app(app):
    """Give the app its Directory (one cache of roles per process)."""
    app.extensions["soporte.directory"] = directory = Directory()
    return directory


def get_directory():
    """The Directory of the current app."""
    return current_app.extensions["soporte.directory"]


def check_customer(name, unsure):
    """Raise Invalid unless `name` is a customer's account; `unsure` is the refusal when the database cannot say."""
    try:
        rol = get_directory().role_of(name)
    except Exception:
        log.exception("directory lookup failed for %r", name)
        raise Invalid(unsure)
    if rol != "user":
        raise Invalid(f"No existe el usuario {name}")
