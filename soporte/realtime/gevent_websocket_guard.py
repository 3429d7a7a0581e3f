"""What one websocket client may send under gevent, so that one socket cannot stall the process.

engineio's gevent driver speaks websocket through simple-websocket (on wsproto), which
already unmasks whole buffers and refuses pre-RFC 6455 handshakes. But its reading
greenlet never yields while data keeps coming, it keeps a message of any size and binary
ones, and it writes frames with send(), which may write part of one. So each websocket
of this server gets, from install(), what websocket_guard.py gives eventlet's:

- a read of up to READ_AHEAD bytes at a time, and a yield after each;
- a small message limit until its Socket.IO connect has succeeded, then
  max_http_buffer_size, and at most MAX_FRAGMENTS frames to a message (1009);
- a cap on its inbound bytes per second (a token bucket), past which that socket is
  closed with 1008; no binary frames (1003);
- sendall for every write, one at a time (its reader answers pings and closes while
  Engine.IO's writer sends), and one write for the packets Engine.IO's writer takes from
  the socket's queue at once (batched_writer.py).
"""
import gevent
import gevent.lock
from engineio.async_drivers import gevent as engineio_gevent
from simple_websocket import ConnectionClosed, Server
from wsproto.events import BytesMessage, CloseConnection, Message, TextMessage
from wsproto.utilities import RemoteProtocolError

from soporte.realtime.batched_writer import BatchedWriter
from soporte.realtime.throttle import TokenBucket
from soporte.realtime.websocket_limits import (MAX_FRAGMENTS, NO_BINARY, READ_AHEAD, TOO_MANY_FRAGMENTS, TOO_MUCH,
                                               guard_every_websocket)


class Refused(OSError):
    """This websocket sent what it may not; simple-websocket's reader ends on an OSError."""


class GuardedSocket:
    """A socket whose reads spend from a bytes-per-second bucket and then yield, and whose sends are sendall."""

    def __init__(self, sock, bucket, refuse):
        self._sock = sock
        self._bucket = bucket
        self._refuse = refuse  # (code, reason): close the websocket and end its reader
        self._sending = gevent.lock.Semaphore()

    def recv(self, size):
        """Up to max(size, READ_AHEAD) bytes, charged to the bucket; then let the other greenlets run."""
        data = self._sock.recv(max(size, READ_AHEAD))
        if data and not self._bucket.take(len(data)):
            self._refuse(1008, TOO_MUCH)
        gevent.sleep(0)  # a gevent socket with data waiting never yields by itself
        return data

    def send(self, data):
        """All of data, after any other greenlet's: simple-websocket calls send() and ignores what it did not write."""
        with self._sending:
            self._sock.sendall(data)

    def __getattr__(self, name):
        """Everything else (close, fileno...) is the socket's own."""
        return getattr(self._sock, name)


class GuardedServer(Server):
    """simple-websocket's server side, within one socket's limits."""

    def __init__(self, environ, *, connected, settings, limit_after_connect, eio_socket, **kwargs):
        self._socketio_connected = connected  # () -> whether its Socket.IO connect has succeeded
        self._limit_before_connect = settings["WEBSOCKET_FRAME_LIMIT_BEFORE_CONNECT"]
        self._limit_after_connect = limit_after_connect
        self._bucket = TokenBucket(settings["WEBSOCKET_BYTES_PER_SECOND"], settings["WEBSOCKET_BYTES_BURST"])
        self._fragments = 0  # frames of the message being received so far
        self._eio_socket = eio_socket
        super().__init__(environ, **kwargs)

    @property
    def max_message_size(self):
        """The largest message this socket may send now (simple-websocket closes with 1009 past it)."""
        return self._limit_after_connect if self._socketio_connected() else self._limit_before_connect

    @max_message_size.setter
    def max_message_size(self, value):
        """simple-websocket's __init__ sets its own (None): the limits above are the ones."""

    def handshake(self):
        """simple-websocket's handshake; then, before its reader starts, the guarded socket and events."""
        super().handshake()
        self.sock = GuardedSocket(self.sock, self._bucket, self.refuse)
        self._batch = BatchedWriter(self.sock.send, self._eio_socket)
        events = self.ws.events
        self.ws.events = lambda: self._checked(events())

    def _checked(self, events):
        """wsproto's events, refusing binary messages and messages of too many frames."""
        for event in events:
            if isinstance(event, BytesMessage):
                self.refuse(1003, NO_BINARY)
            if isinstance(event, TextMessage) and event.frame_finished:
                self._fragments = 0 if event.message_finished else self._fragments + 1
                if self._fragments >= MAX_FRAGMENTS:
                    self.refuse(1009, TOO_MANY_FRAGMENTS)
            yield event

    def send(self, data):
        """simple-websocket's send, the frame written with the rest of Engine.IO's batch."""
        if not self.connected:
            raise ConnectionClosed(self.close_reason, self.close_message)
        self._batch.send(self.ws.send(Message(data=data) if isinstance(data, bytes) else TextMessage(data=str(data))))

    def refuse(self, code, reason):
        """Send a close frame with `code` and `reason`, and end the reader."""
        self.sock.send(self.ws.send(CloseConnection(code, reason)))
        raise Refused(code, reason)


class GuardedWebSocketWSGI(engineio_gevent.WebSocketWSGI):
    """engineio's gevent websocket app, on a GuardedServer."""

    def __init__(self, handler, server, **guard):
        super().__init__(handler, server)
        self.guard = guard  # GuardedServer's keyword arguments

    def __call__(self, environ, start_response):
        """engineio's own (SimpleWebSocketWSGI.__call__), with the guarded server; 400 for a handshake wsproto refuses."""
        try:
            self.ws = GuardedServer(environ, **self.guard, **self.server_args)
        except RemoteProtocolError as refused:  # e.g. a pre-RFC 6455 one, without Sec-WebSocket-Version
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [str(refused).encode()]
        ret = self.app(self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()  # gunicorn must not write a response on the websocket
        if self.ws.mode == "werkzeug":
            raise ConnectionError()
        return ret


def install(server, settings):
    """Guard every websocket that this python-socketio server (in gevent mode) accepts from now on.

    settings: the app's config (WEBSOCKET_* values).
    """
    if engineio_gevent.SimpleWebSocketWSGI is None:
        # engineio then speaks websocket through gevent-websocket, whose reader keeps a
        # frame of any length and unmasks it a byte at a time
        raise RuntimeError("gevent-websocket is installed: soporte's gevent mode needs simple-websocket; "
                           "uninstall gevent-websocket")
    limit_after_connect = server.eio.max_http_buffer_size

    def guarded_app(handler, eio_server, connected):
        """A guarded websocket app instead of the driver's."""
        return GuardedWebSocketWSGI(handler, eio_server, connected=connected, settings=settings,
                                    limit_after_connect=limit_after_connect,
                                    eio_socket=handler.__self__)  # the handler is the Engine.IO socket's

    guard_every_websocket(server, guarded_app)
