"""Stale replies: the newest message of each conversation, by author, without the database.

An agent's reply may say how far the agent has seen the conversation
(`visto_hasta`); if someone else wrote after that, the reply is refused and the
agent is shown what is new. The relay must never wait on the database, so the
newest ids live in memory (and, when the processes share Redis, in one Redis
hash per conversation that every process updates: one script call for a reply
that says how far its agent has seen, one per batch for the rest). The last few
messages of recently active conversations are kept too, so a refusal can show
what is new.

What is not known counts as nothing newer: a conversation nobody wrote in since
this process started (and that the startup seed did not cover) is accepted.
"""
import collections
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from soporte import redis_client
from soporte.config import redis_url
from soporte.extensions import db, socketio
from soporte.models import Conversacion, Mensaje, iso_utc
from soporte.protocol import Invalid
from soporte.relay import pending
from soporte.relay.chat import get_chat
from soporte.relay.ids import first_id_at

log = logging.getLogger(__name__)

STALE = "Hay mensajes nuevos en esta conversación"
BAD_SEEN = "visto_hasta debe ser el id de un mensaje"
MAX_CONVERSATIONS = 100_000  # newest ids kept per process (a few dozen bytes each)
RECENT_CONVERSATIONS = 2_000  # conversations whose last messages are kept for a refusal
RECENT_PER_CONVERSATION = 10
MAX_NUEVOS = 50
KEEP = timedelta(days=2)  # how long Redis keeps a quiet conversation's ids, and what the seed covers
REDIS_BACKOFF = 5.0  # seconds on local knowledge only after Redis failed
# seconds recorded ids gather before one script call shares them: until then a reply on another
# process that had not seen them is not refused (a person does not answer within it)
SHARE_GATHER = 0.01

# KEYS: conversations' hashes, author -> newest id. ARGV[1]: visto_hasta ("" = no check), ARGV[2]:
# the ttl, then an author and an id for each key. With visto_hasta (one key, one reply) it returns
# the newest id by someone else past it (refused, nothing recorded); else, or when there is none,
# it raises each author's id and returns 0. Lua numbers are doubles: ids below 2^53 are exact.
CLAIM = """
if ARGV[1] ~= '' then
  local seen, newest = tonumber(ARGV[1]), 0
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local id = tonumber(all[i + 1])
    if all[i] ~= ARGV[3] and id > seen and id > newest then newest = id end
  end
  if newest > 0 then return newest end
end
for i = 1, #KEYS do
  local author, id = ARGV[2 * i + 1], ARGV[2 * i + 2]
  if tonumber(id) > tonumber(redis.call('HGET', KEYS[i], author) or '0') then
    redis.call('HSET', KEYS[i], author, id)
  end
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return 0
"""


def parse_seen(data, sender):
    """The optional visto_hasta of an agent's message (an id, or its digits), else None."""
    seen = data.get("visto_hasta") if sender.rol == "admin" else None
    if seen is None:
        return None
    if isinstance(seen, str) and seen.isascii() and seen.isdigit() and len(seen) < 20:
        seen = int(seen)
    if isinstance(seen, bool) or not isinstance(seen, int) or not 0 <= seen < 2**63:
        raise Invalid(BAD_SEEN)
    return seen


class Freshness:
    """Newest id per conversation and author (here, and in Redis when shared), and recent messages."""

    def __init__(self, app):
        self._newest = collections.OrderedDict()  # conversation -> {author: id}, least recent first
        self._recent = collections.OrderedDict()  # conversation -> deque of relay payloads
        self._lock = threading.Lock()  # check and record as one step (threading mode)
        self._redis = self._claim = self._wake = None
        self._unshared = {}  # (conversation, author) -> id, for the next share to Redis
        self._redis_down_until = 0.0
        url = redis_url(app.config)
        if url:
            self._redis = redis_client.connect(url, timeout=redis_client.HOT_PATH_TIMEOUT)
            self._claim = self._redis.register_script(CLAIM)
        self._prefix = f"soporte:ultimo:{app.config['SOCKETIO_CHANNEL']}:"

    def admit(self, conversation, payload, seen=None):
        """Record a message about to be delivered, or refuse it when someone wrote after `seen`.

        Returns None (recorded) or the refusal acknowledgement. Only a message with
        `seen` waits for Redis (one script call: check and record at once, so two
        agents on two processes cannot both answer the same message); the others
        reach Redis in the background, many in one script call.
        """
        author, message_id = payload["de"], payload["id"]
        with self._lock:
            newer = self._newer_here(conversation, author, seen)
        if not newer and seen is not None:
            newer = self._claim_shared(conversation, author, message_id, seen)
        if newer:
            return self.refusal(conversation, author, seen, newer)
        with self._lock:
            self._record_here(conversation, author, message_id)
            self._remember(conversation, payload)
            if seen is None and self._claim is not None:
                self._share_later(conversation, author, message_id)
        return None

    def _newer_here(self, conversation, author, seen):
        """The newest id by someone other than `author` past `seen` that this process knows, or 0."""
        authors = self._newest.get(conversation)
        if seen is None or not authors:
            return 0
        return max((i for a, i in authors.items() if a != author and i > seen), default=0)

    def _record_here(self, conversation, author, message_id):
        """Raise the author's newest id in a conversation (the least recently active are forgotten)."""
        authors = self._newest.get(conversation)
        if authors is None:
            authors = self._newest[conversation] = {}
            if len(self._newest) > MAX_CONVERSATIONS:
                self._newest.popitem(last=False)
        else:
            self._newest.move_to_end(conversation)
        if message_id > authors.get(author, 0):
            authors[author] = message_id

    def _redis_usable(self):
        """Whether there is a Redis to share with, and it has not just failed."""
        return self._claim is not None and time.monotonic() >= self._redis_down_until

    def _redis_failed(self, what):
        """Log a Redis failure and go on with this process's knowledge for a while."""
        log.warning("freshness: Redis failed (%s); stale replies are checked on this process only", what,
                    exc_info=True)
        self._redis_down_until = time.monotonic() + REDIS_BACKOFF

    def _claim_shared(self, conversation, author, message_id, seen):
        """Check and record in Redis: the newer id by someone else, or 0 (also without Redis)."""
        if not self._redis_usable():
            return 0
        try:
            return int(self._claim(keys=[self._prefix + conversation],
                                   args=[seen, int(KEEP.total_seconds()), author, message_id]))
        except Exception:  # Redis away: this process's knowledge only, for a while
            self._redis_failed("check")
            return 0

    def _share_later(self, conversation, author, message_id):
        """Queue a recorded id for Redis and wake the background sharer (under the lock)."""
        key = (conversation, author)
        if message_id > self._unshared.get(key, 0):
            self._unshared[key] = message_id
        if self._wake is None:
            self._wake = socketio.server.eio.create_event()
            socketio.start_background_task(self._share_forever)
        self._wake.set()

    def _share_forever(self):
        """Background task: send what was recorded to Redis, one share per SHARE_GATHER at most."""
        while True:
            self._wake.wait()
            # let more gather: woken per message, it shared one or two at a time (redis-py's cost per
            # round trip, each message: 8% of a process over Redis at 2,000 msg/s)
            socketio.sleep(SHARE_GATHER)
            self._wake.clear()
            with self._lock:
                batch, self._unshared = self._unshared, {}
            self.share([(c, a, i) for (c, a), i in batch.items()])

    def share(self, rows, batch=1000):
        """Raise these (conversation, author, id) in Redis, one script call (one round trip) per batch.

        One call for the batch, not an EVALSHA per row in a pipeline: redis-py's cost per
        command made sharing 3.6% of a process over Redis at 2,000 msg/s.
        """
        if not rows or not self._redis_usable():
            return
        ttl = int(KEEP.total_seconds())
        try:
            for start in range(0, len(rows), batch):
                keys, args = [], ["", ttl]  # no visto_hasta: record every id
                for conversation, author, message_id in rows[start:start + batch]:
                    keys.append(self._prefix + conversation)
                    args += (author, message_id)
                self._claim(keys=keys, args=args)  # loads the script again if Redis forgot it
        except Exception:
            self._redis_failed("share")

    def _remember(self, conversation, payload):
        """Keep the message among the conversation's last few, for a later refusal."""
        recent = self._recent.get(conversation)
        if recent is None:
            recent = self._recent[conversation] = collections.deque(maxlen=RECENT_PER_CONVERSATION)
            if len(self._recent) > RECENT_CONVERSATIONS:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(conversation)
        recent.append(payload)

    def forget(self, conversation):
        """Drop what is known of an erased customer's conversation: its newest ids and last messages, here and in Redis."""
        with self._lock:
            self._newest.pop(conversation, None)
            self._recent.pop(conversation, None)
            for key in [key for key in self._unshared if key[0] == conversation]:
                del self._unshared[key]
        if self._redis is not None:
            try:
                self._redis.delete(self._prefix + conversation)
            except Exception:  # the key expires within KEEP anyway
                log.warning("freshness: could not forget a conversation in Redis", exc_info=True)

    def refusal(self, conversation, author, seen, newest):
        """The acknowledgement of a stale reply: what is new, as far as this process knows it."""
        found = {}
        for payload in self._recent.get(conversation, ()):
            if payload["id"] > seen and payload["de"] != author:
                found[payload["id"]] = {"id": payload["id"], "de_usuario": payload["de"],
                                        "para_usuario": payload["para"], "mensaje": payload["mensaje"],
                                        "fecha": payload["fecha"]}
        unstored = pending.matching(pending.unstored(), conversation, after=seen,
                                    author=lambda de: de != author)  # not in the database yet
        pending.merge(found, unstored, lambda row: {"id": row["id"], "de_usuario": row["de_usuario"],
                                                    "para_usuario": row["para_usuario"], "mensaje": row["mensaje"],
                                                    "fecha": iso_utc(row["fecha"])})
        nuevos = pending.in_id_order(found, MAX_NUEVOS)
        return {"ok": False, "error": STALE, "nuevos": nuevos, "ultimo_id": newest}

    def newest(self, conversation):
        """The newest id anyone wrote in a conversation, as far as Redis or this process knows (0: none)."""
        ids = []
        if self._redis is not None:
            try:
                ids = [int(i) for i in self._redis.hvals(self._prefix + conversation)]
            except Exception:
                log.warning("freshness: could not read %r from Redis", conversation, exc_info=True)
        ids.extend(self._newest.get(conversation, {}).values())
        return max(ids, default=0)

    def seed(self, keep=KEEP):
        """Learn each recently active conversation's newest message and its author, from the database.

        Run in the background once the writer has stored what an earlier run left;
        until then, and for older conversations, nothing newer is known.
        """
        since = first_id_at(datetime.now(timezone.utc) - keep)
        rows = db.session.execute(  # the ultimo_id index, then one primary-key lookup per row
            select(Conversacion.usuario, Mensaje.de_usuario, Conversacion.ultimo_id)
            .join(Mensaje, Mensaje.id == Conversacion.ultimo_id)
            .where(Conversacion.ultimo_id >= since)
            .order_by(Conversacion.ultimo_id.desc()).limit(MAX_CONVERSATIONS)
        ).all()
        db.session.commit()
        rows.reverse()  # oldest first: the newest stay in the bounded cache
        with self._lock:
            for conversation, author, message_id in rows:
                self._record_here(conversation, author, message_id)
        self.share([tuple(row) for row in rows])
        log.info("freshness: seeded %d conversations", len(rows))
        return len(rows)


def seed_when_ready(app):
    """Background task: seed once the writer has replayed the spool (the database is then complete)."""
    with app.app_context():
        writer = get_chat().writer
        while writer.replaying:  # started just before this task: the spool first
            socketio.sleep(0.5)
        try:
            get_freshness().seed()
        except Exception:  # a database away at startup: unknown stays "nothing newer"
            log.exception("freshness: seeding from the database failed")


def init_app(app, serving):
    """Give the app its Freshness, and seed it in the background where a real server runs."""
    app.extensions["soporte.freshness"] = Freshness(app)
    if serving:
        socketio.start_background_task(seed_when_ready, app)


def get_freshness():
    """The Freshness of the current app."""
    return current_app.extensions["soporte.freshness"]
