"""The background writer: stores delivered messages in batches, off the delivery path."""
import collections
import logging

from sqlalchemy import insert

from .extensions import db, socketio
from .models import Mensaje

log = logging.getLogger(__name__)

# ON CONFLICT/IGNORE: a batch retried after a lost commit, or a client's retry
# with the same cid, never stores a message twice nor blocks the rest
INSERT_MESSAGES = (
    insert(Mensaje.__table__)
    .prefix_with("IGNORE", dialect="mysql")
    .prefix_with("IGNORE", dialect="mariadb")
    .prefix_with("OR IGNORE", dialect="sqlite")
)
MAX_RETRY_DELAY = 30.0


class MessageWriter:
    """Queues message rows and inserts them, many per statement, in a background task."""

    def __init__(self, app, batch_size=500):
        self.app = app
        self.batch_size = batch_size
        self.queue = collections.deque()
        self.inflight = []
        self.stored = 0
        self.failures = 0
        self._wakeup = None
        self._task = None

    def submit(self, row):
        """Queue one row (a dict of Mensaje columns) for storage; never blocks."""
        self.queue.append(row)
        if self._task is None:
            self._wakeup = socketio.server.eio.create_event()
            self._task = socketio.start_background_task(self._run)
        self._wakeup.set()

    def pending_rows(self):
        """Rows accepted but not yet committed, so history can include them."""
        return list(self.inflight) + list(self.queue)

    @property
    def backlog(self):
        """How many accepted messages are waiting to be stored."""
        return len(self.queue) + len(self.inflight)

    def flush(self, timeout=10.0):
        """Wait until everything queued so far is stored; True if it was in time."""
        waited = 0.0
        while self.backlog and waited < timeout:
            socketio.sleep(0.01)
            waited += 0.01
        return not self.backlog

    def _run(self):
        """Loop forever: take up to a batch, insert it, retry with backoff on failure."""
        delay = 0.0
        with self.app.app_context():
            while True:
                if not self.queue:
                    self._wakeup.wait(1.0)
                    self._wakeup.clear()
                    continue
                while self.queue and len(self.inflight) < self.batch_size:
                    self.inflight.append(self.queue.popleft())
                if self._store(self.inflight):
                    self.inflight = []
                    delay = 0.0
                else:
                    # keep the batch and try again: the database may come back
                    delay = min(MAX_RETRY_DELAY, delay * 2 or 0.5)
                    socketio.sleep(delay)

    def _store(self, rows):
        """Insert rows in one transaction; log and return False if the database fails."""
        try:
            db.session.execute(INSERT_MESSAGES, rows)
            db.session.commit()
        except Exception:  # any driver or pool error: delivery must go on
            db.session.rollback()
            db.session.remove()
            self.failures += 1
            log.exception("writer: could not store %d messages (backlog %d)", len(rows), self.backlog)
            return False
        self.stored += len(rows)
        return True
