"""Every process's operations figures in one place: each one publishes its own to Redis, with a TTL.

Processes that share Redis (the message queue) are one chat. Each writes its
figures under a key of its own every INTERVAL seconds; a process that stops
(killed, or its host gone) drops off the list when its key expires, with no
goodbye needed. Never on the message path: a background task and the page.
"""
import json
import os
import socket
from datetime import datetime, timezone

from soporte import redis_client
from soporte.background import every

INTERVAL = 5  # seconds between publications (OPERATIONS_PUBLISH_SECONDS)


class Fleet:
    """This process's entry in Redis, and everyone's."""

    def __init__(self, url, channel, ident=None, interval=INTERVAL, ttl=None):
        self.redis = redis_client.connect(url)
        self.prefix = f"{channel}:operaciones:"  # chats sharing one Redis keep to their own channel
        self.key = self.prefix + (ident or f"{socket.gethostname()}:{os.getpid()}")
        self.interval = interval
        self.ttl = ttl or max(1, round(3 * interval))  # a process silent for three rounds is gone
        self._started = False

    def publish(self, figures):
        """Write this process's figures, with the time they were taken."""
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.redis.set(self.key, json.dumps({**figures, "publicado": now}), ex=self.ttl)

    def processes(self):
        """The latest figures of every live process, ordered by node (those without one last) and host."""
        keys = sorted(self.redis.scan_iter(match=self.prefix + "*", count=200))
        found = [json.loads(value) for value in (self.redis.mget(keys) if keys else []) if value]
        return sorted(found, key=lambda f: (f.get("nodo") is None, f.get("nodo") or 0, f.get("proceso", {}).get("host", ""),
                                            f.get("proceso", {}).get("pid", 0)))

    def start(self, app, figures):
        """Publish figures() every `interval` seconds in the background."""
        if not self._started:
            self._started = True
            every(self.interval, lambda: self.publish(figures()), name="operations figures publication", app=app)
