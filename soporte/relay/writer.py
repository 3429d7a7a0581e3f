"""The background writer: journals accepted messages to the spool, then stores them in batches.

Two background tasks, so that a slow database never holds up delivery:
- the journaler appends each group of submitted rows to the spool with one
  fsync (or, if the disk refuses, inserts them straight away) and then releases
  the senders, whose messages are delivered and acknowledged only now (soporte/relay/delivery.py);
- the storer seals the spool's segments and inserts them into the database,
  many rows per statement, retrying with backoff while the database is away.
  A serving process runs it as an OS process of its own (soporte/relay/storer_process.py)
  and keeps here only the sealing, every WRITER_INTERVAL, and what it hears back.
"""
import collections
import logging
import threading

from sqlalchemy import insert

from soporte.background import outcome_event
from soporte.extensions import db, socketio
from soporte.files import attachments
from soporte.models import Mensaje
from soporte.relay import conversation_rows

log = logging.getLogger(__name__)

# IGNORE: a replayed segment, or a client's retry with the same cid, never
# stores a message twice nor blocks the rest of its batch
INSERT_MESSAGES = (
    insert(Mensaje.__table__)
    .prefix_with("IGNORE", dialect="mysql")
    .prefix_with("IGNORE", dialect="mariadb")
    .prefix_with("OR IGNORE", dialect="sqlite")
)
MAX_RETRY_DELAY = 5.0
IDLE_POLL = 0.5  # also how soon a dead process's segments are picked up
MAX_UNSTORED = 100_000  # rows kept in memory for history while the database lags


def store(session, rows):
    """Insert message rows and bring their conversations up to date; the caller commits.

    Returns the conversations that opened a cycle (new, or reopened by the customer), as
    (customer, message id, reopened).
    """
    carrying = [row for row in rows if "adjuntos" in row]
    if carrying:  # a message's attachments are not a column: insert without them, then link them, in this transaction
        session.execute(INSERT_MESSAGES, [{k: v for k, v in row.items() if k != "adjuntos"} for row in rows])
        attachments.link(session, carrying)
    else:
        session.execute(INSERT_MESSAGES, rows)
    return conversation_rows.advance(session, rows)


class PendingRows(dict):
    """Rows accepted but not yet stored, by id, and indexed by conversation for history requests."""

    def __init__(self):
        super().__init__()
        self._by_conversation = collections.defaultdict(dict)

    def __setitem__(self, message_id, row):
        super().__setitem__(message_id, row)
        self._by_conversation[row["conversacion"]][message_id] = row

    def pop(self, message_id, *default):
        if message_id not in self:
            if default:
                return default[0]
            raise KeyError(message_id)
        row = super().pop(message_id)
        same = self._by_conversation[row["conversacion"]]
        del same[message_id]
        if not same:
            del self._by_conversation[row["conversacion"]]
        return row

    def __delitem__(self, message_id):
        self.pop(message_id)

    def clear(self):
        super().clear()
        self._by_conversation.clear()

    def of(self, conversacion):
        """The rows of one conversation."""
        return list(self._by_conversation.get(conversacion, {}).values())


class NotStored(Exception):
    """The message could be neither journaled nor stored: the sender must be told."""


class Group:
    """Rows journaled together; their senders wait on it for the outcome."""

    def __init__(self):
        self.rows = []
        self.error = None
        self.done = outcome_event()

    def wait(self, timeout):
        """Whether the journal has answered within `timeout` (None: no limit); `error` then says if it failed."""
        return self.done.wait(timeout)


class MessageWriter:
    """Journals submitted rows and stores them in the database, in the background."""

    def __init__(self, app, spool, batch_size=500, interval=0.0, after_replay=None, after_store=None):
        self.app = app
        self.interval = interval  # how long rows gather between two stores
        self.after_replay = after_replay  # called once the spool's leftovers are stored
        self.after_store = after_store  # called with the conversations a stored batch opened
        self.spool = spool
        self.batch_size = batch_size
        self.unstored = PendingRows()  # for history while the database has not got them
        self.stored = 0
        self.failures = 0
        self.accepting = True
        self.replaying = False  # from start() until what earlier runs left in the spool is stored
        self._group = None
        self._journaling = False
        self._lock = threading.Lock()  # the spool's open segment: journaler vs storer
        self._wake_journaler = self._wake_storer = None
        self._storer_process = None
        self._started = False
        self._stopped = False

    def submit(self, row):
        """Queue a row (a dict of Mensaje columns); return the Group to wait on."""
        if not self.accepting:
            raise NotStored("shutting down")
        self.start()
        if self._group is None:
            self._group = Group()
        self._group.rows.append(row)
        group = self._group
        self._wake_journaler.set()
        return group

    def pending_rows(self, conversacion=None):
        """Rows accepted but not yet stored (of one conversation), so history can include them."""
        if conversacion is None:
            return list(self.unstored.values())
        return self.unstored.of(conversacion)

    def forget(self, conversacion):
        """Drop an erased customer's unstored rows from memory (the spool's copy the storer drops: relay/tombstones.py)."""
        for row in self.unstored.of(conversacion):
            self.unstored.pop(row["id"], None)

    def _remember(self, rows):
        """Keep durable rows for history until the database has them (nobody sees what is not durable)."""
        for row in rows:
            if len(self.unstored) >= MAX_UNSTORED:
                break
            self.unstored[row["id"]] = row

    def _stored(self, ids, opened):
        """Rows are in the database now: drop them from the unstored ones, count them, announce what they opened."""
        for message_id in ids:
            self.unstored.pop(message_id, None)
        self.stored += len(ids)
        if opened and self.after_store:  # agents' lists move reopened ones back; assignment takes the new ones
            self.after_store(opened)

    @property
    def backlog(self):
        """How many accepted messages are known not to be in the database yet."""
        return len(self.unstored)

    def flush(self, timeout=10.0):
        """Wait until everything submitted so far is stored; True if it was in time."""
        waited = 0.0
        while self._busy() and waited < timeout:
            if self._wake_storer:
                self._wake_storer.set()
            socketio.sleep(0.01)
            waited += 0.01
        return not self._busy()

    def _busy(self):
        """Whether anything submitted is not stored yet, or the storer has not finished a replay.

        The replay counts: its last segment leaves the spool a moment before the storer
        ends the replay (and runs after_replay), and a flush must not end in that moment.
        """
        return bool(self._group or self._journaling or self.unstored or self.spool.depth() or self.replaying)

    def stop_accepting(self, timeout=1.0):
        """Refuse new rows, and wait until those already submitted are journaled (their acks released)."""
        self.accepting = False
        waited = 0.0
        while (self._group or self._journaling) and waited < timeout:
            socketio.sleep(0.01)
            waited += 0.01

    def close(self, timeout=3.0):
        """Stop accepting, journal what is queued, and store what the time allows."""
        self.accepting = False
        stored = self.flush(timeout)
        self._stopped = True
        if self._storer_process:
            self._storer_process.stop()
        with self._lock:
            self.spool.close()
        return stored

    def start(self, storer_process=None):
        """Start the journaler and the storer (which first replays what the spool holds).

        storer_process: a StorerProcess to store in; this process then only seals.
        """
        if not self._started:
            self._started = True
            self.replaying = True
            self._wake_journaler = socketio.server.eio.create_event()
            self._wake_storer = socketio.server.eio.create_event()
            socketio.start_background_task(self._journal_forever)
            if storer_process is None:
                socketio.start_background_task(self._store_forever)
            else:
                self._storer_process = storer_process
                socketio.start_background_task(self._seal_forever)
                socketio.start_background_task(self._hear_storer)

    def _journal_forever(self):
        """Append each group to the spool with one fsync, then release its senders."""
        with self.app.app_context():
            while not self._stopped:
                self._wake_journaler.wait(IDLE_POLL)
                self._wake_journaler.clear()
                if self._group is None:
                    continue
                group, self._group = self._group, None
                self._journaling = True
                self._journal(group)
                self._journaling = False
                group.done.set()
                self._wake_storer.set()

    def _journal(self, group):
        """Make a group durable: in the spool, or else straight in the database."""
        try:
            with self._lock:  # the storer seals under it: it cannot store these before they are remembered
                self.spool.append(group.rows)
                self._remember(group.rows)
            return
        except Exception:  # a full disk, or a row it cannot encode: the journaler must live on
            log.exception("writer: spool write failed for %d messages; storing directly", len(group.rows))
        if not self._insert(group.rows):
            group.error = "No se pudo guardar el mensaje; inténtalo de nuevo"

    def _store_forever(self):
        """Insert sealed segments, oldest first (a restart's leftovers before new ones)."""
        delay = 0.0
        with self.app.app_context():
            while not self._stopped:
                if self._store_sealed():
                    if self.replaying:
                        self.replaying = False
                        self._replayed()
                    delay = 0.0
                    self._wake_storer.wait(IDLE_POLL)
                    self._wake_storer.clear()
                    # let more rows gather: at any rate, a transaction and a segment per interval,
                    # not per fsync'd group (one message each at a low rate)
                    socketio.sleep(self.interval)
                else:
                    delay = min(MAX_RETRY_DELAY, delay * 2 or 0.25)
                    socketio.sleep(delay)

    def _seal_forever(self):
        """Seal the open segment every interval once rows came, and wake the storer process."""
        while not self._stopped:
            self._wake_storer.wait(IDLE_POLL)
            self._wake_storer.clear()
            socketio.sleep(self.interval)  # as _store_forever: a segment per interval, not per group
            with self._lock:
                sealed = bool(self.spool.records)
                self.spool.seal()
            if sealed:
                self._storer_process.wake()

    def _hear_storer(self):
        """Run the storer process (again whenever it ends), hearing what it says in the app's context."""
        with self.app.app_context():
            self._storer_process.run()

    def heard(self, message):
        """What the storer process says: rows it stored (and conversations they opened), a failure, the replay's end."""
        if "stored" in message:
            self._stored(message["stored"], [tuple(opening) for opening in message["opened"]])
        elif "failed" in message:
            self.failures += 1
        elif message.get("replayed") and self.replaying:
            self.replaying = False
            self._replayed()

    def _replayed(self):
        """Run the after_replay hook; its failure must not stop the storer."""
        if self.after_replay:
            try:
                self.after_replay()
            except Exception:
                log.exception("writer: after-replay hook failed")

    def _store_sealed(self):
        """Seal the open segment and store every segment nobody else holds; False on failure."""
        with self._lock:
            self.spool.seal()
        for path in self.spool.sealed():
            taken = self.spool.take(path)
            if taken is None:
                continue
            segment, rows = taken
            ok = all(self._insert(rows[i:i + self.batch_size])
                     for i in range(0, len(rows), self.batch_size))
            self.spool.release(segment, path, stored=ok)
            if not ok:
                return False
        return True

    def _insert(self, rows):
        """Insert rows in one transaction; log and return False if the database fails."""
        try:
            opened = store(db.session, rows)
            db.session.commit()
        except Exception:  # any driver or pool error: delivery must go on
            db.session.rollback()
            db.session.remove()
            self.failures += 1
            log.exception("writer: could not store %d messages (backlog %d)", len(rows), self.backlog)
            return False
        self._stored([row["id"] for row in rows], opened)
        return True
