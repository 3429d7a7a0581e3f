"""What one websocket client may send under eventlet, so that one socket cannot stall the process.

eventlet reads frames in pure Python. It unmasked each frame a byte at a time (about
2.5 MB/s), and the greenthread reading a socket never yields while data keeps coming:
one client without even a Socket.IO connect, sending 27 KB frames as fast as it could,
starved every other socket and /healthz until gunicorn killed the worker. So each
websocket of this server gets, from install():

- a whole-buffer unmask (the same bytes as eventlet's, at memory speed);
- a buffered reader: eventlet asks the socket for a frame's header, mask and payload in
  three reads; they come from one recv (of several frames, when they are there);
- a yield after every frame, so the other greenthreads run between them (the wait for a
  message's first byte is one, when nothing is read ahead);
- a small frame limit until its Socket.IO connect has succeeded (an unauthenticated
  socket has only the CONNECT packet to say), then the usual one, with a message's
  fragments counted together;
- a cap on its inbound bytes per second (a token bucket) that closes that socket only,
  with close code 1008;
- no binary frames (close code 1003): the protocol has none (see binary_packets.py);
- no pre-RFC 6455 handshakes, whose reader buffers without a limit;
- writes that never block, joined into one send per turn of the hub, and no writer
  greenthread (outbox.py, websocket_session.py);
- no greenthread while it is idle (parking.py).
"""
import eventlet
from eventlet.greenio import GreenSocket
from eventlet.hubs import get_hub, notify_opened, trampoline
from eventlet.websocket import FailedConnectionError

from soporte.realtime import websocket_session
from soporte.realtime.outbox import CONTROL, Outbox
from soporte.realtime.parking import PARK_AFTER, Parking
from soporte.realtime.throttle import TokenBucket
from soporte.realtime.websocket_limits import (BINARY, MAX_FRAGMENTS, NO_BINARY, READ_AHEAD, TOO_MANY_FRAGMENTS,
                                               TOO_MUCH, guard_every_websocket)


def apply_mask(data, mask, length=None, offset=0):
    """eventlet's RFC6455WebSocket._apply_mask (XOR with the mask from `offset`), on the whole buffer at once."""
    if length is None:
        length = len(data)
    if not length:
        return b""
    # the mask as it lines up with this piece: a frame's payload may arrive in several reads
    key = bytes(mask[(offset + i) % 4] for i in range(4))
    repeated = (key * (length // 4 + 1))[:length]
    unmasked = int.from_bytes(data[:length], "big") ^ int.from_bytes(repeated, "big")
    return unmasked.to_bytes(length, "big")


class Quiet(Exception):
    """Nothing came from the client for a while."""


class MeteredSocket:
    """A socket read ahead, whose reads spend from a bytes-per-second bucket; past it, that websocket fails with 1008."""

    __slots__ = ("_sock", "_bucket", "_buffer", "_at", "outbox", "parking")  # one per socket: no dict each

    def __init__(self, sock, bucket):
        self._sock = sock
        self._bucket = bucket
        self._buffer = b""  # read from the kernel, not yet asked for
        self._at = 0
        self.outbox = None  # the websocket's writes, and
        self.parking = None  # its wait while idle: both stopped before the socket closes

    def recv(self, size):
        """Up to `size` bytes, from what was read ahead or else from one recv of at least READ_AHEAD, charged as it arrives."""
        if self._at >= len(self._buffer):
            data = self._sock.recv(max(size, READ_AHEAD))
            if data and not self._bucket.take(len(data)):
                raise FailedConnectionError(1008, TOO_MUCH)
            if len(data) <= size:
                return data
            self._buffer, self._at = data, 0
        # an offset, not slicing off the front: a buffer of many small frames is copied once
        data = self._buffer[self._at:self._at + size]
        self._at += len(data)
        if self._at >= len(self._buffer):
            self._buffer, self._at = b"", 0
        return data

    def read_ahead(self):
        """Whether bytes read from the kernel wait to be asked for."""
        return self._at < len(self._buffer)

    def readable_within(self, seconds):
        """Whether a byte is waiting (read ahead or in the kernel) or comes within `seconds`; recv reads it."""
        if self.read_ahead():
            return True
        try:
            trampoline(self._sock.fileno(), read=True, timeout=seconds, timeout_exc=Quiet)
        except Quiet:
            return False
        return True

    def take_own_copy(self):
        """Read and write through a dup of the socket from now on: gunicorn's request may close its own."""
        own = GreenSocket(self._sock.fd.dup())
        notify_opened(own.fileno())  # as eventlet does for a new descriptor: listeners left on a reused number go
        own.settimeout(self._sock.gettimeout())
        self._sock = own
        self.outbox.rebind(own.fd)

    def shutdown(self, how):
        """Shut the socket down, unless it is closed already.

        A websocket that eventlet failed is closed again by Engine.IO's writer, and
        eventlet logs the EBADF of that second shutdown: a line per socket in a flood.
        """
        if self._sock.fileno() != -1:
            self._sock.shutdown(how)

    def close(self):
        """Close the socket, once its outbox and its parking stop watching it."""
        if self.outbox is not None:
            self.outbox.stop()
        if self.parking is not None:
            self.parking.stop()
        self._sock.close()

    def __getattr__(self, name):
        """Everything else (settimeout, fileno, getsockname...) is the socket's own."""
        return getattr(self._sock, name)


class FrameGuard:
    """The frame limit of one websocket, and its reader's per-frame steps."""

    __slots__ = ("ws", "connected", "limit_before_connect", "limit_after_connect", "read_frame", "may_idle")

    def __init__(self, ws, connected, limit_before_connect, may_idle=lambda: False):
        self.ws = ws
        self.connected = connected  # () -> whether its Socket.IO connect has succeeded
        self.limit_before_connect = limit_before_connect
        self.limit_after_connect = ws.max_frame_length  # eventlet's, from max_http_buffer_size
        self.read_frame = ws._recv_frame  # eventlet's own
        self.may_idle = may_idle  # () -> whether the reader may stop between messages (and the socket park)

    def limit(self):
        """The largest frame (or fragmented message) this socket may send now."""
        return self.limit_after_connect if self.connected() else self.limit_before_connect

    def recv_frame(self, message=None):
        """Read one frame with eventlet's reader, within this socket's limits; let others run before the next.

        Between messages, when none comes within PARK_AFTER and the socket may park, raise Idle
        instead: a socket that writes often keeps its reader, and an idle one its memory.
        """
        if message is None and self.may_idle() and not self.ws.socket.readable_within(PARK_AFTER):
            raise websocket_session.Idle()
        pending = 0 if message is None else sum(len(piece) for piece in message.data)
        if message is not None and len(message.data) >= MAX_FRAGMENTS:
            raise FailedConnectionError(1009, TOO_MANY_FRAGMENTS)
        # eventlet checks each frame's length against this: what the message has left
        self.ws.max_frame_length = max(0, self.limit() - pending)
        frame = self.read_frame(message)
        if frame.opcode == BINARY:
            raise FailedConnectionError(1003, NO_BINARY)
        # the next read starts a message (this one ended; a control frame came between two)?
        next_starts = frame.finished and (message is None or not frame.opcode & CONTROL)
        if not (next_starts and self.may_idle() and not self.ws.socket.read_ahead()):
            eventlet.sleep(0)  # else the next read waits in readable_within, which lets the others run
        return frame


class HubLoop:
    """What an Outbox needs of eventlet's hub."""

    __slots__ = ()

    def soon(self, callback):
        """Call back at the hub's next turn, from the hub."""
        get_hub().schedule_call_global(0, callback)

    def when_writable(self, fileno, callback):
        """Call back from the hub whenever the socket can take more; returns the stop."""
        hub = get_hub()
        listener = hub.add(hub.WRITE, fileno, lambda _fileno: callback(), lambda _error: None, None)
        return lambda: hub.remove(listener)


HUB_LOOP = HubLoop()


def guard(ws, connected, settings, eio_socket):
    """Give one eventlet websocket this module's reader and writer: fast unmask, limits, bytes/s cap, yields,
    outbox and parking. Returns its Parking."""
    ws._apply_mask = apply_mask  # eventlet calls self._apply_mask(data, mask, length=, offset=)
    metered = ws.socket = MeteredSocket(ws.socket, TokenBucket(settings["WEBSOCKET_BYTES_PER_SECOND"],
                                                               settings["WEBSOCKET_BYTES_BURST"]))
    parking = metered.parking = Parking(ws)
    # not while upgrading from long-polling: the probe's exchange reads as it comes
    ws._recv_frame = FrameGuard(ws, connected, settings["WEBSOCKET_FRAME_LIMIT_BEFORE_CONNECT"],
                                may_idle=lambda: eio_socket.upgraded and parking.possible()).recv_frame
    # eventlet's _send, a sendall under the websocket's lock, is every write's: frames, pongs, closes
    metered.outbox = Outbox(metered._sock.fd, HUB_LOOP, settings["WEBSOCKET_UNSENT_LIMIT"])
    ws._send = metered.outbox.write
    return parking


def install(server, settings):
    """Guard every websocket that this python-socketio server (in eventlet mode) accepts from now on.

    settings: the app's config (WEBSOCKET_* values).
    """
    make_websocket = server.eio._async["websocket"]  # engineio's eventlet WebSocketWSGI

    def guarded_app(handler, eio_server, connected):
        """engineio's websocket app, guarding the websocket before its first read, served without a writer."""
        eio_socket = handler.__self__  # the handler is the Engine.IO socket's _websocket_handler

        def handle(ws):
            """Engine.IO's handler (websocket_session's), on a guarded websocket that parks while idle."""
            return websocket_session.serve(eio_socket, ws, park=guard(ws, connected, settings, eio_socket))

        app = make_websocket(handle, eio_server)
        app.support_legacy_versions = False  # hixie-75/76: its reader buffers a frame without any limit
        return app

    guard_every_websocket(server, guarded_app)
