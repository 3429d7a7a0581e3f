"""The per-app state of the relay: ids, the writer, the directory and recent acknowledgements."""
import collections
import os
import random

from flask import current_app

from .directory import Directory
from .ids import IdGenerator
from .persistence import MessageWriter
from .spool import Spool

RECENT_ACKS = 50_000  # retries come within seconds; this covers minutes at full load


class Chat:
    """Everything events.py needs beyond the Socket.IO server itself."""

    def __init__(self, app):
        node = app.config["NODE_ID"]
        self.ids = IdGenerator(random.randrange(32) if node is None else int(node))
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


def get_chat():
    """The Chat of the current app."""
    return current_app.extensions["soporte"]
