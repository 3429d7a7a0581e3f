"""This process's node number (the part of message ids that tells processes apart), leased in Redis.

Each process that shares Redis takes the first free number n of 0..31 with
SET soporte:node-lease:<n> <token> NX PX <lease>, in a background task that keeps
asking while Redis is away or every number is held, and renews it every third of
the lease with a script that extends the key only while it still holds this
process's token. A process that has not renewed for two thirds of the lease gives
the number up by itself, before its key can expire: so two live processes never
hold the same number, even when one of them is cut off from Redis. Without a number
the process refuses messages (soporte.relay.ids.NoNode) and /readyz answers 503.
"""
import logging
import time
import uuid

import redis

from soporte import redis_client
from soporte.background import run_every
from soporte.relay.ids import MAX_NODE

log = logging.getLogger(__name__)

PREFIX = "soporte:node-lease:"  # per Redis database, whatever the channel: the numbers of one database
LEASE_SECONDS = 30.0  # NODE_LEASE_SECONDS
RETRY_SECONDS = 1.0  # between attempts while no number is held

# take this process's own key back if it still lives (it gave the number up while cut off),
# else the first key nobody holds; the number, or -1 when all 32 are held
TAKE = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    return i - 1
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    return i - 1
  end
end
return -1
"""
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class NodeLease:
    """One process's lease on a node number: current() is the number while it is safely held, else None."""

    def __init__(self, url, lease_seconds=LEASE_SECONDS, prefix=PREFIX, clock=time.monotonic):
        # redis_client.TIMEOUT: a stalled Redis must not hold the keeper past its renewal times
        self.redis = redis_client.connect(url, decode=True)
        self.token = uuid.uuid4().hex
        self.lease_ms = int(lease_seconds * 1000)
        self.renew_every = lease_seconds / 3
        # measured from before the command that set the TTL was sent, so Redis's expiry
        # (counted from when it ran the command) is always at least a third of a lease later
        self.give_up_after = lease_seconds * 2 / 3
        self.keys = [f"{prefix}{n}" for n in range(MAX_NODE + 1)]
        self._clock = clock
        self._held = (None, 0.0)  # (number, clock time it must be given up by): one tuple, swapped whole
        self._told = None  # why no number was taken, as last logged: an outage is logged once, not every second
        self._take = self.redis.register_script(TAKE)
        self._renew = self.redis.register_script(RENEW)
        self._release = self.redis.register_script(RELEASE)

    def current(self):
        """The number held now, or None (not taken yet, lost, or not renewed in time)."""
        node, until = self._held
        return node if node is not None and self._clock() < until else None

    def acquire(self):
        """Take a number (this process's own key first, else the first free one): the number, or None."""
        started = self._clock()
        try:
            node = int(self._take(self.keys, [self.token, self.lease_ms]))
        except redis.RedisError as error:
            self._no_node(f"Redis unavailable ({type(error).__name__})")
            return None
        if node < 0:
            self._no_node(f"all {len(self.keys)} node numbers are held")
            return None
        self._held = (node, started + self.give_up_after)
        self._told = None
        log.info("node lease: holding node %d", node)
        return node

    def _no_node(self, why):
        """Log, once per cause, that no number could be taken (the keeper goes on asking)."""
        if why != self._told:
            log.warning("node lease: %s; no node, messages are refused until one is leased", why)
            self._told = why

    def renew(self):
        """Extend the number's key if it is still this process's: True when renewed."""
        node = self.current()
        if node is None:
            return False
        started = self._clock()
        try:
            renewed = self._renew([self.keys[node]], [self.token, self.lease_ms])
        except redis.RedisError as error:  # keep the number until it must be given up; the next round retries
            log.warning("node lease: could not renew node %d (%s)", node, type(error).__name__)
            return False
        if not renewed:
            self._held = (None, 0.0)
            log.warning("node lease: node %d is no longer this process's (its key expired)", node)
            return False
        self._held = (node, started + self.give_up_after)
        return True

    def keep(self):
        """One round of the keeper: renew the number held, or take one; the number held after it, or None."""
        node, _ = self._held
        if node is not None and self.current() is None:
            self._held = (None, 0.0)
            log.warning("node lease: gave node %d up, not renewed for %.0f s", node, self.give_up_after)
        if self.current() is not None:
            self.renew()  # a renewal that fails on Redis keeps the number until it must be given up
        if self.current() is None:
            self.acquire()
        return self.current()

    def keep_forever(self, sleep):
        """The background keeper: a round every renew_every seconds while a number is held, else every second."""
        run_every(lambda held: self.renew_every if held is not None else min(RETRY_SECONDS, self.renew_every),
                  self.keep, name="node lease keeper", sleep=sleep)

    def release(self):
        """Stop using the number and free its key (if still this process's), for a clean exit."""
        node, _ = self._held
        self._held = (None, 0.0)
        if node is not None:
            try:
                self._release([self.keys[node]], [self.token])
            except redis.RedisError:  # the key expires by itself
                log.warning("node lease: could not free node %d; it frees itself when its key expires", node)
