"""A websocket's writes without a writer greenthread: the event loop writes them, and never waits on a client.

engineio gives every websocket a writer greenthread that waits on the socket's queue and
writes each packet with a blocking sendall: an idle socket kept a greenlet (about 8 KB)
for nothing, and every copy sent cost a switch into that greenlet and back. Here a write
never blocks its caller, so an emit to many sockets is never held by one slow client: the
frames written to a socket during one turn of the event loop are joined and go out in one
non-blocking send, from a callback of the loop; what the kernel does not take waits for
the socket to be writable. Control frames (close, ping, pong) go at once, after what is
held: a close is followed by a shutdown. A client that reads nothing while more than
`limit` bytes wait for it is cut off: it catches up over REST when it reconnects, and
holds none of this process's memory meanwhile.
"""
import logging
import socket
import ssl

log = logging.getLogger(__name__)

CONTROL = 0x08  # the opcode bit of control frames, in a frame's first byte


class Outbox:
    """The frames waiting for one websocket's client."""

    __slots__ = ("_raw", "_loop", "_limit", "_held", "_size", "_scheduled", "_watch", "closed")

    def __init__(self, raw, loop, limit):
        self._raw = raw  # the connection's own non-blocking socket: its send() never waits
        self._loop = loop  # soon(callback) and when_writable(fileno, callback) -> stop()
        self._limit = limit
        self._held = []
        self._size = 0
        self._scheduled = False  # a flush is due at the loop's next turn
        self._watch = None  # stop() of the wait for the socket to take more
        self.closed = False

    def write(self, frame):
        """Hold a frame for this turn's send; a control frame goes at once, with what is held."""
        if self.closed:
            return  # the client is gone or cut off: its reader ends the session
        self._held.append(frame)
        self._size += len(frame)
        if frame[0] & CONTROL:
            self.flush()
        elif self._size > self._limit:
            self.cut_off()
        elif not self._scheduled and self._watch is None:
            self._scheduled = True
            self._loop.soon(self._flush_scheduled)

    def _flush_scheduled(self):
        """The loop's turn has come: write what the turn held."""
        self._scheduled = False
        self.flush()

    def flush(self):
        """Write what is held, as much as the socket takes now; wait for it to be writable for the rest."""
        if self.closed or not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        try:
            sent = self._raw.send(data)
        except (BlockingIOError, ssl.SSLWantWriteError):  # the kernel (or TLS) takes nothing now
            sent = 0
        except OSError:  # reset by the client, or closed meanwhile: nothing more will go out
            self.stop()
            return
        if sent == len(data):
            self._held.clear()
            self._size = 0
            self._stop_watching()
            return
        self._held[:] = [data[sent:]]
        self._size = len(data) - sent
        if self._watch is None:
            self._watch = self._loop.when_writable(self._raw.fileno(), self.flush)

    def rebind(self, raw):
        """Write to another socket of the same connection (a dup of it) from now on."""
        self._stop_watching()
        self._raw = raw
        self.flush()

    def cut_off(self):
        """Give up on a client that does not read: drop its frames and shut its socket, which ends its reader."""
        log.warning("closing a websocket whose client has not read %d bytes", self._size)
        self.stop()
        try:
            self._raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # gone already

    def stop(self):
        """Write nothing more: drop what is held and stop waiting for the socket (before it closes)."""
        self.closed = True
        self._held.clear()
        self._size = 0
        self._stop_watching()

    def _stop_watching(self):
        """No more waiting for the socket to be writable."""
        if self._watch is not None:
            self._watch()
            self._watch = None
