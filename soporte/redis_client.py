"""The one way soporte makes a Redis client, with one timeout policy.

Every wait on Redis is bounded: a slow or stalled Redis must not hold up a connect,
a message or a request. TIMEOUT bounds connecting and each answer; a message's stale
check (relay.freshness, on the hot path) waits at most HOT_PATH_TIMEOUT; the
readiness probe passes its own READY_TIMEOUT, since answering in time is its job.
"""
import redis

TIMEOUT = 1.0  # seconds
HOT_PATH_TIMEOUT = 0.5  # seconds


def connect(url, timeout=TIMEOUT, decode=False):
    """A client of the Redis at `url` (the chat's SOCKETIO_MESSAGE_QUEUE); decode: answers as str, not bytes."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=decode)
