"""Live delivery of a relayed message, only once it is durable: nobody sees a message that may be lost.

The relay submits the row to the writer and waits for the journal's outcome (the
spool's fsync, or else the database). Durable: the message is delivered, then
acknowledged. Not durable: the sender is refused and nobody received anything, so a
retry is the first copy anyone sees. Still journaling after ACK_TIMEOUT: the sender
is told so, the cid is held, and the message is delivered the moment the journal
takes it; a retry of that cid waits for the same outcome instead of making a new one.
"""
import threading

from flask import current_app

from soporte.extensions import socketio
from soporte.ops.operations import count_message
from soporte.protocol import NOT_STORED, NOT_YET_STORED, refused
from soporte.realtime import emitter


class Outgoing:
    """One accepted message between the journal and its recipients: delivered once, when durable."""

    def __init__(self, sender, payload, group):
        self.sender, self.payload, self.group = sender, payload, group
        self.app = current_app._get_current_object()  # for a late delivery, outside the handler
        self._ack = None  # known once the journal's outcome is
        self._lock = threading.Lock()  # the relay and a late delivery may both settle it
        self.late = False  # a background task delivers it once the journal has it

    def outcome(self, timeout):
        """The ack once the journal has answered (delivering first if durable); None if it is still at it."""
        if not self.group.wait(timeout):
            return None
        with self._lock:
            if self._ack is None:
                self._ack = refused(NOT_STORED) if self.group.error else self._deliver()
            return self._ack

    def _deliver(self):
        """Send it live and count it; return the ok ack."""
        emitter.deliver(self.sender, self.payload)
        count_message()  # messages per minute on the operations page: an int increment
        return {"ok": True, "id": self.payload["id"], "fecha": self.payload["fecha"]}


def acknowledge(chat, outgoing, cid, timeout):
    """Wait up to `timeout` for a message's outcome and answer the sender (a new message or a held cid's retry)."""
    user = outgoing.sender.user
    ack = outgoing.outcome(timeout)
    if ack is None:
        chat.hold(user, cid, outgoing)  # a retry of the cid waits for this message, not a new one
        if not outgoing.late:
            outgoing.late = True
            socketio.start_background_task(settle_late, chat, outgoing, cid)
        return refused(NOT_YET_STORED)
    if ack["ok"]:
        chat.remember_ack(user, cid, ack)
    chat.release(user, cid, outgoing)
    return ack


def settle_late(chat, outgoing, cid):
    """Deliver a message whose journaling outlived its ack as soon as it is durable, and free its cid."""
    with outgoing.app.app_context():
        ack = outgoing.outcome(None)
        if ack["ok"]:
            chat.remember_ack(outgoing.sender.user, cid, ack)
        chat.release(outgoing.sender.user, cid, outgoing)

