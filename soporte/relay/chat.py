"""The per-app state of the relay: ids, the writer and recent acknowledgements."""
import collections
import os
import random
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from soporte.background import in_os_thread
from soporte.config import redis_url
from soporte.extensions import db, socketio
from soporte.models import Mensaje, iso_utc
from soporte.realtime import emitter
from soporte.relay.ids import MAX_NODE, IdGenerator, first_id_at
from soporte.relay.node_lease import NodeLease
from soporte.relay.recent import RecentConversations
from soporte.relay.spool import Spool
from soporte.relay.storer_process import StorerProcess, can_run_apart
from soporte.relay.writer import MessageWriter

RECENT_ACKS = 50_000  # retries come within seconds; this covers minutes at full load
RECALL_MINUTES = 10


class Chat:
    """Everything the relay needs beyond the Socket.IO server itself."""

    def __init__(self, app):
        node = node_source(app.config)
        self.lease = node if isinstance(node, NodeLease) else None
        self.ids = IdGenerator(node)
        spool_dir = app.config["SPOOL_DIR"] or os.path.join(app.instance_path, "spool")
        self.writer = MessageWriter(app, Spool(spool_dir, fsync=in_os_thread(os.fsync)),
                                    app.config["WRITER_BATCH_SIZE"], app.config["WRITER_INTERVAL"],
                                    after_replay=self.recall_acks, after_store=self.tell_opened)
        # called with the (customer, id, reopened) of conversations a stored batch opened (assignment)
        self.opened_listeners = []
        self.conversations = RecentConversations()
        self._acks = collections.OrderedDict()
        self._held = {}  # (sender, cid) -> the Outgoing whose journaling outlived its ack
        self.recall_spooled_acks()

    def tell_opened(self, opened):
        """Conversations a stored batch opened: agents see the reopened ones open again; listeners hear of all."""
        emitter.announce_reopened([(customer, message_id) for customer, message_id, reopened in opened if reopened])
        for listener in self.opened_listeners:
            listener(opened)

    def start_writer(self, app):
        """Start the writer of a serving process: with STORER_PROCESS, storing in an OS process of its own."""
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        apart = app.config["STORER_PROCESS"] and can_run_apart(uri)
        self.writer.start(StorerProcess(uri, self.writer.spool.directory, app.config["WRITER_BATCH_SIZE"],
                                        heard=self.writer.heard) if apart else None)

    def forget_customer(self, name):
        """Forget an erased customer here: their unstored rows, their send-once acks and held messages, their place in the list."""
        self.writer.forget(name)
        for key in [key for key in self._acks if key[0] == name]:
            del self._acks[key]
        for key in [key for key in self._held if key[0] == name]:
            del self._held[key]
        self.conversations.forget(name)

    def recall_spooled_acks(self):
        """Remember the acks of the spool's rows that had a cid (what an earlier run acknowledged but did not store).

        Until the replay has stored them, the database cannot say that a retried cid
        was acknowledged; the journal can, so a retry gets the first ack and is not
        delivered again.
        """
        rows = [row for row in self.writer.spool.journaled_rows() if row.get("cid")]
        for row in rows[-RECENT_ACKS:]:
            self._acks.setdefault((row["de_usuario"], row["cid"]),
                                  {"ok": True, "id": row["id"], "fecha": iso_utc(row["fecha"])})

    def keep_node(self):
        """With a node lease: take it now if Redis answers, and keep it in the background (a serving process only).

        The first attempt is made here so that a process booting beside a live Redis
        relays from its first request; a Redis away costs at most its 1 s connect timeout.
        """
        if self.lease is not None:
            self.lease.keep()
            socketio.start_background_task(self.lease.keep_forever, socketio.sleep)

    def release_node(self):
        """Free the leased node for other processes (a clean exit, once no more ids are issued)."""
        if self.lease is not None:
            self.lease.release()

    def ack_for(self, sender, cid):
        """The acknowledgement already given to this sender's message `cid`, if any."""
        return self._acks.get((sender, cid)) if cid else None

    def remember_ack(self, sender, cid, ack):
        """Keep an acknowledgement so a retry of the same `cid` gets it again."""
        if cid:
            self._acks[(sender, cid)] = ack
            if len(self._acks) > RECENT_ACKS:
                self._acks.popitem(last=False)

    def held_for(self, sender, cid):
        """The message of this sender's `cid` that is still waiting for the journal, if any."""
        return self._held.get((sender, cid)) if cid else None

    def hold(self, sender, cid, outgoing):
        """Keep a message that is not durable yet under its `cid`, so a retry waits for it."""
        if cid:
            self._held[(sender, cid)] = outgoing

    def release(self, sender, cid, outgoing):
        """Forget a held message once its outcome is known (its ack is remembered, or it failed)."""
        if cid and self._held.get((sender, cid)) is outgoing:
            del self._held[(sender, cid)]

    def recall_acks(self, minutes=RECALL_MINUTES):
        """Remember the acks of recently stored messages that had a cid (after a restart).

        A client whose ack was lost when the server went down retries with the same
        cid; this lets the new process answer it with the original ack.
        """
        since = first_id_at(datetime.now(timezone.utc) - timedelta(minutes=minutes))
        rows = db.session.execute(  # ids follow time: a primary-key range, no scan
            select(Mensaje.de_usuario, Mensaje.cid, Mensaje.id, Mensaje.fecha)
            .where(Mensaje.id >= since, Mensaje.cid.is_not(None)).order_by(Mensaje.id)
        ).all()
        db.session.commit()
        for de_usuario, cid, message_id, fecha in rows[-RECENT_ACKS:]:
            self._acks.setdefault((de_usuario, cid), {"ok": True, "id": message_id, "fecha": iso_utc(fecha)})


def node_source(config):
    """This process's part of message ids: configured, else leased in Redis, else random.

    Processes that share Redis are one chat and one database: each leases a number
    no live process holds (soporte.relay.node_lease), so their ids never collide. The lease
    is kept only by a serving process (Chat.keep_node): until then, no node.
    """
    if config["NODE_ID"] is not None:
        return int(config["NODE_ID"])
    shared = redis_url(config)
    if shared:
        return NodeLease(shared, lease_seconds=float(config["NODE_LEASE_SECONDS"]))
    return random.randrange(MAX_NODE + 1)


def get_chat():
    """The Chat of the current app."""
    return current_app.extensions["soporte"]
