"""One task sends every Engine.IO socket of a server its PINGs, instead of a task per socket.

python-engineio starts a background task per socket that sleeps ping_interval and
sends one PING, again after every PONG: an idle socket kept a greenthread (its greenlet,
stack and timer, about 9 KB) for nothing but that. Here each socket waits in a queue:
every socket waits the same interval, so the queue is in order of when each is due,
and one task sleeps until the first. The PINGs go out when engineio's would.
"""
import collections
import logging
import time

from engineio import packet
from engineio import socket as eio_socket

log = logging.getLogger(__name__)


class Pinger:
    """The PINGs of one engineio server's sockets, from one background task."""

    def __init__(self, eio):
        self.eio = eio
        self.due = collections.deque()  # (monotonic time, socket), oldest first
        self.wake = None  # set when a socket joins an empty queue
        self.task = None

    def schedule(self, sock):
        """engineio's Socket.schedule_ping: a PING ping_interval from now, unless one is under way."""
        if not sock.last_ping:  # engineio's test: the previous cycle has not ended (no PONG yet)
            return
        sock.last_ping = None
        self.due.append((time.monotonic() + self.eio.ping_interval, sock))
        if self.task is None:
            self.wake = self.eio.create_event()
            self.task = self.eio.start_background_task(self.run)
        elif len(self.due) == 1:
            self.wake.set()

    def run(self):
        """Forever: sleep until the first socket is due, then ping it (engineio's _send_ping)."""
        while True:
            if not self.due:
                self.wake.wait()
                self.wake.clear()  # before looking at the queue again: a later set is not lost
                continue
            when, sock = self.due[0]
            delay = when - time.monotonic()
            if delay > 0:
                self.eio.sleep(delay)
                continue
            self.due.popleft()
            try:
                ping(sock)
            except Exception:  # one socket's failure must not stop the others' PINGs
                log.exception("ping of %s failed", sock.sid)


def ping(sock):
    """Send one PING, as engineio's _send_ping does after its sleep."""
    if not sock.closing and not sock.closed:
        sock.last_ping = time.time()
        sock.send(packet.Packet(packet.PING))


def install(eio):
    """Give this engineio server a Pinger; its sockets schedule their PINGs there from now on."""
    eio.soporte_pinger = Pinger(eio)
    if getattr(eio_socket.Socket.schedule_ping, "soporte_pinger", False):
        return  # the class is patched already (another app of this process)
    engineio_schedule = eio_socket.Socket.schedule_ping

    def schedule_ping(sock):
        """The server's Pinger if it has one (soporte's), else engineio's own task."""
        pinger = getattr(sock.server, "soporte_pinger", None)
        if pinger is None:
            return engineio_schedule(sock)
        return pinger.schedule(sock)

    schedule_ping.soporte_pinger = True
    eio_socket.Socket.schedule_ping = schedule_ping
