"""Logged-out tokens (by `jti`), refused until they would have expired anyway.

Kept in this process, and in Redis when the processes of a chat share one
(SOCKETIO_MESSAGE_QUEUE), so a logout on one process counts on all of them.
"""
import logging
import time

from flask import current_app

from soporte import redis_client
from soporte.config import redis_url

log = logging.getLogger(__name__)

KEY = "soporte:revoked:"


class Revocations:
    """The set of revoked token ids, each kept until its token's exp."""

    def __init__(self, redis_url=None):
        self._local = {}  # jti -> exp (seconds since the epoch)
        self._redis = None
        if redis_url:
            self._redis = redis_client.connect(redis_url)

    def revoke(self, jti, exp):
        """Refuse the token `jti` from now until its expiry time `exp`."""
        now = time.time()
        self._local = {j: e for j, e in self._local.items() if e > now}
        self._local[jti] = exp
        if self._redis is not None and exp > now:
            try:
                self._redis.set(KEY + jti, "1", ex=int(exp - now) + 1)
            except Exception:  # Redis down: this process still refuses it
                log.warning("could not record the logout of %s in Redis", jti, exc_info=True)

    def is_revoked(self, jti):
        """Whether the token `jti` was logged out (here, or on another process)."""
        if jti in self._local:
            return True
        return bool(self.revoked_among([jti]))

    def is_revoked_here(self, jti):
        """Whether this process knows the token `jti` to be logged out (no Redis round trip)."""
        return jti in self._local

    def revoked_among(self, jtis):
        """The ones of `jtis` that were logged out on any process."""
        found = {j for j in jtis if j in self._local}
        rest = [j for j in jtis if j not in found]
        if self._redis is None or not rest:
            return found
        try:
            pipe = self._redis.pipeline(transaction=False)
            for jti in rest:
                pipe.exists(KEY + jti)
            found.update(j for j, hit in zip(rest, pipe.execute()) if hit)
        except Exception:  # fail open: the signature and exp are still checked
            log.warning("could not read logouts from Redis", exc_info=True)
        return found


def init_app(app):
    """Give the app its Revocations (shared through Redis when the chat has a message queue)."""
    app.extensions["soporte.revocations"] = revocations = Revocations(redis_url(app.config))
    return revocations


def get_revocations():
    """The Revocations of the current app."""
    return current_app.extensions["soporte.revocations"]
