"""One process at a time across processes: a Redis lock with an owner's token and a time to live.

The automatic assigner and the mailer each run their rounds under one, so that with several
processes only one assigns or sends at a time. A holder that dies frees it when the time runs out.
"""
import uuid

# delete the key only if it still holds this owner's token (not a later owner's, after it expired)
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"


class RedisLock:
    """The lock `key` on `redis`, held at most `ttl_ms`; with no Redis (one process) always this process's."""

    def __init__(self, redis, key, ttl_ms):
        self.redis, self.key, self.ttl_ms = redis, key, ttl_ms

    def acquire(self):
        """A token if this process holds the lock now ("" with no Redis), None if another process does."""
        if self.redis is None:
            return ""
        token = uuid.uuid4().hex
        return token if self.redis.set(self.key, token, nx=True, px=self.ttl_ms) else None

    def release(self, token):
        """Give the lock up if this process still holds it."""
        if self.redis is not None:
            self.redis.eval(RELEASE, 1, self.key, token)
