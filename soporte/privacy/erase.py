"""Erase a customer: every holder's rows, this and every process's memory of them, and their late rows in any spool.

The steps, each for a reason:
1. Deactivate the account and raise its login generation, committed, then end its logins
   (Sessions.end_account, motivo `borrada`): from here no message of theirs is accepted
   on any process, and agents can no longer write to them (the role directory says no role).
2. Let this process's writer store what it holds (a short flush), so that what follows
   deletes it from the database.
3. One transaction: the tombstone first (relay/tombstones.py: a row still in another
   process's spool, or one whose storer is down, is dropped when it is stored later), then
   every holder's rows (the conversation's row first: on MariaDB its lock waits for a storer
   storing a batch of theirs), the audit log anonymised, and one entry with no personal data.
4. Forget them in memory: the writer's unstored rows, the send-once acks, the stale-reply
   check's ids and recent messages (and its Redis hash), the conversation list's order, the
   typing throttle, the role cache (presence goes with the closed sockets); the other
   processes when the Redis queue brings `borrada`. Then each holder's after-commit work (files).
"""
import logging
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy.exc import OperationalError

from soporte.audit import audit
from soporte.extensions import db, socketio
from soporte.models import ClienteBorrado, Usuario, utc_now
from soporte.privacy.holders import in_erase_order
from soporte.protocol import ERASED
from soporte.realtime import emitter
from soporte.realtime.sessions import get_sessions
from soporte.relay.chat import get_chat
from soporte.relay.freshness import get_freshness
from soporte.relay.ids import first_id_at
from soporte.relay.tombstones import digest
from soporte.upsert import upsert

log = logging.getLogger(__name__)

FLUSH_TIMEOUT = 5.0  # seconds for this process's writer to store what it holds (the tombstone covers the rest)
# ids up to now + this margin are the erased customer's: a process whose clock runs ahead may
# have acknowledged one of theirs just before the erase with an id "in the future"
CLOCK_MARGIN = timedelta(minutes=2)


def erase_customer(actor, customer):
    """Erase a customer's account and everything held about them, on every process; the audit entry's id."""
    customer_id, username = customer.id, customer.usuario
    stop_their_messages(customer)
    get_chat().writer.flush(FLUSH_TIMEOUT)
    after = with_a_retry(lambda: delete_everything(actor, db.session.get(Usuario, customer_id)))
    forget_here(username)
    get_sessions().end_account(username, ERASED)  # again: other processes forget what they keep, too
    emitter.announce_erased(username)  # after the commit: an agent's page that refetches finds nothing
    for work in after:
        try:
            work()
        except Exception:  # the rows are gone; a file left behind is logged, not a failed erase
            log.exception("erase: after-commit work of cliente #%s failed", customer_id)


def stop_their_messages(customer):
    """Deactivate the account and end its logins everywhere: nobody can add to its data any more."""
    customer.activo = False
    customer.generacion += 1
    db.session.commit()
    get_sessions().end_account(customer.usuario, ERASED)


def with_a_retry(work, attempts=2):
    """work() once more after a database error: a storer storing a late row of the customer at this very
    moment can deadlock with the erase on MariaDB (InnoDB then rolls one back; the storer retries on its own)."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            log.warning("erase: database error, trying once more", exc_info=True)


def delete_everything(actor, customer):
    """The tombstone, every holder's rows and the audit entry, in one transaction; the after-commit work."""
    tombstone = {"usuario_sha256": digest(customer.usuario), "borrado_en": utc_now(),
                 "hasta_id": first_id_at(datetime.now(timezone.utc) + CLOCK_MARGIN)}
    # first: a storer storing a batch of theirs holds its key, and this waits for that commit
    # (an upsert: a name erased before, taken again by a new customer, erased again)
    db.session.execute(upsert(db.engine.dialect.name, ClienteBorrado.__table__, ["usuario_sha256"],
                              lambda new: {"hasta_id": new["hasta_id"], "borrado_en": new["borrado_en"]}, tombstone))
    after = []
    for holder in in_erase_order():
        after += holder.erase(customer)
    db.session.expunge(customer)  # its row is gone: the session must not flush it again
    audit(actor, "borrar_cliente", None, cliente=customer.id)
    db.session.commit()
    return after


def forget_here(username):
    """What this process keeps in memory about an erased customer goes."""
    get_chat().forget_customer(username)
    get_freshness().forget(username)
    current_app.extensions["soporte.typing"].forget(username)


def forget_listener(app):
    """The Redis queue's listener for a customer erased on another process (it runs outside any app context)."""
    def forget(username):
        """Forget the customer here, in the app's context."""
        with app.app_context():
            forget_here(username)
    return forget


def init_app(app):
    """Hear of customers erased on other processes (the Redis queue), to forget them here too."""
    listeners = getattr(socketio.server.manager, "on_erased", None)
    if listeners is not None:
        listeners.append(forget_listener(app))
