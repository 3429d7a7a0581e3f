"""The conversations by latest activity, kept in memory: the agents' list without reading 10k rows a request.

The list route answers every conversation's name, newest first. Reading them all
from `conversaciones` costs PyMySQL about 0.1 s at 10,000 conversations on a small
machine, so each process keeps the order and asks the database only for the
conversations whose latest id is in the last OVERLAP (an index range). A message
stored later than that after it was sent (the database was away) is picked up by
the full read that happens every FULL_REFRESH seconds.
"""
import heapq
import threading
import time

from sqlalchemy import select

from soporte.models import Conversacion
from soporte.relay.ids import NODE_BITS, SEQUENCE_BITS

FULL_REFRESH = 60.0  # seconds between full reads
OVERLAP = (30 * 1000) << (NODE_BITS + SEQUENCE_BITS)  # 30 s of ids: the storer's usual lag, and then some


class RecentConversations:
    """Customers with a conversation, most recent activity first, refreshed by id range."""

    def __init__(self):
        self.latest = {}  # customer -> latest stored message id
        self.order = []  # customers, latest first
        self._high = 0  # the largest id read so far
        self._full_at = None  # monotonic time of the last full read
        self._lock = threading.Lock()  # under `flask run` requests are threads

    def names(self, session, pending=()):
        """The customers in order, stored conversations merged with the writer's pending rows."""
        self._refresh(session)
        moved = {}
        for row in pending:  # delivered, not yet stored
            name = row["conversacion"]
            if row["id"] > max(moved.get(name, 0), self.latest.get(name, 0)):
                moved[name] = row["id"]
        if not moved:
            return self.order
        latest = {**self.latest, **moved}
        return merged(self.order, moved, latest)

    def forget(self, name):
        """Drop an erased customer's conversation from the order."""
        with self._lock:
            if self.latest.pop(name, None) is not None:
                self.order = [other for other in self.order if other != name]

    def _refresh(self, session):
        """Read what changed since the last read (everything, now and then)."""
        full = self._full_at is None or time.monotonic() - self._full_at > FULL_REFRESH
        query = select(Conversacion.usuario, Conversacion.ultimo_id)
        if not full:
            query = query.where(Conversacion.ultimo_id > self._high - OVERLAP)
        started = time.monotonic()
        rows = session.execute(query).all()
        with self._lock:
            if full:
                self.latest = dict(rows)
                self.order = sorted(self.latest, key=self.latest.get, reverse=True)
                self._full_at = started
            else:
                changed = {name: last for name, last in rows if last > self.latest.get(name, 0)}
                if changed:
                    self.latest.update(changed)
                    self.order = merged(self.order, changed, self.latest)
            if rows:
                self._high = max(self._high, max(last for _, last in rows))


def merged(order, changed, latest):
    """`order` with the `changed` names moved to where their new latest ids put them."""
    rest = (name for name in order if name not in changed)
    moved = sorted(changed, key=latest.get, reverse=True)
    return list(heapq.merge(moved, rest, key=latest.get, reverse=True))
