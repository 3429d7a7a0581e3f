"""The per-app state of the relay: ids, the writer, the directory and recent acknowledgements."""
import collections
import os
import random

from flask import current_app

from .directory import Directory
from .ids import MAX_NODE, IdGenerator
from .persistence import MessageWriter
from .spool import Spool

RECENT_ACKS = 50_000  # retries come within seconds; this covers minutes at full load


class Chat:
    """Everything events.py needs beyond the Socket.IO server itself."""

    def __init__(self, app):
        self.ids = IdGenerator(node_id(app.config))
        spool_dir = app.config["SPOOL_DIR"] or os.path.join(app.instance_path, "spool")
        self.writer = MessageWriter(app, Spool(spool_dir), app.config["WRITER_BATCH_SIZE"])
        self.directory = Directory()
        self._acks = collections.OrderedDict()

    def ack_for(self, sender, cid):
        """The acknowledgement already given to this sender's message `cid`, if any."""
        return self._acks.get((sender, cid)) if cid else None

    def remember_ack(self, sender, cid, ack):
        """Keep an acknowledgement so a retry of the same `cid` gets it again."""
        if cid:
            self._acks[(sender, cid)] = ack
            if len(self._acks) > RECENT_ACKS:
                self._acks.popitem(last=False)


def node_id(config):
    """This process's part of message ids: configured, else unique via Redis, else random.

    Processes that share Redis are one chat and one database: each takes the
    next number of a shared counter, so their ids never collide.
    """
    if config["NODE_ID"] is not None:
        return int(config["NODE_ID"])
    queue = config["SOCKETIO_MESSAGE_QUEUE"]
    if queue and queue.startswith(("redis://", "rediss://", "unix://")):
        import redis

        return redis.Redis.from_url(queue).incr("soporte:node-seq") % (MAX_NODE + 1)
    return random.randrange(MAX_NODE + 1)


def get_chat():
    """The Chat of the current app."""
    return current_app.extensions["soporte"]
