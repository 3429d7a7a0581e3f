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
- writes that never block and are never cut short (simple-websocket's send() may write part
  of a frame), joined into one send per turn of the loop, and no writer greenlet
  (outbox.py, websocket_session.py).
"""
import gevent
from engineio.async_drivers import gevent as engineio_gevent
from simple_websocket import Server
from wsproto.events import BytesMessage, CloseConnection, TextMessage
from wsproto.utilities import RemoteProtocolError

from soporte.realtime import websocket_session
from soporte.realtime.outbox import Outbox
from soporte.realtime.throttle import TokenBucket
from soporte.realtime.websocket_limits import (MAX_FRAGMENTS, NO_BINARY, READ_AHEAD, TOO_MANY_FRAGMENTS, TOO_MUCH,
                                               guard_every_websocket)


class Refused(OSError):
    """This websocket sent what it may not; simple-websocket's reader ends on an OSError."""


class GeventLoop:
    """What an Outbox needs of gevent's loop."""

    __slots__ = ()

    def soon(self, callback):
        """Call back at the loop's next turn, from the hub."""
        gevent.get_hub().loop.run_callback(callback)

    def when_writable(self, fileno, callback):
        """Call back from the hub whenever the socket can take more; returns the stop."""
        watcher = gevent.get_hub().loop.io(fileno, 2)  # 2: libev's EV_WRITE
        watcher.start(callback)
        return watcher.close


GEVENT_LOOP = GeventLoop()


class GuardedSocket:
    """A socket whose reads spend from a bytes-per-second bucket and then yield, and whose writes go to its outbox."""

    __slots__ = ("_sock", "_bucket", "_refuse", "outbox")

    def __init__(self, sock, bucket, refuse, unsent_limit):
        self._sock = sock
        self._bucket = bucket
        self._refuse = refuse  # (code, reason): close the websocket and end its reader
        self.outbox = Outbox(sock._sock, GEVENT_LOOP, unsent_limit)  # gevent's own non-blocking socket

    def recv(self, size):
        """Up to max(size, READ_AHEAD) bytes, charged to the bucket; then let the other greenlets run."""
        data = self._sock.recv(max(size, READ_AHEAD))
        if data and not self._bucket.take(len(data)):
            self._refuse(1008, TOO_MUCH)
        gevent.sleep(0)  # a gevent socket with data waiting never yields by itself
        return data

    def send(self, data):
        """Every write of simple-websocket's (frames, pongs, closes): all of it, never waited on."""
        self.outbox.write(data)

    def close(self):
        """Close the socket, after its outbox stops watching it."""
        self.outbox.stop()
        self._sock.close()

    def __getattr__(self, name):
        """Everything else (fileno, shutdown...) is the socket's own."""
        return getattr(self._sock, name)


class GuardedServer(Server):
    """simple-websocket's server side, within one socket's limits."""

    def __init__(self, environ, *, connected, settings, limit_after_connect, **kwargs):
        self._socketio_connected = connected  # () -> whether its Socket.IO connect has succeeded
        self._limit_before_connect = settings["WEBSOCKET_FRAME_LIMIT_BEFORE_CONNECT"]
        self._limit_after_connect = limit_after_connect
        self._bucket = TokenBucket(settings["WEBSOCKET_BYTES_PER_SECOND"], settings["WEBSOCKET_BYTES_BURST"])
        self._unsent_limit = settings["WEBSOCKET_UNSENT_LIMIT"]
        self._fragments = 0  # frames of the message being received so far
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
        self.sock = GuardedSocket(self.sock, self._bucket, self.refuse, self._unsent_limit)
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
        """A guarded websocket app instead of the driver's, served without a writer."""
        eio_socket = handler.__self__  # the handler is the Engine.IO socket's _websocket_handler

        def handle(ws):
            """Engine.IO's handler (websocket_session's)."""
            return websocket_session.serve(eio_socket, ws)

        return GuardedWebSocketWSGI(handle, eio_server, connected=connected, settings=settings,
                                    limit_after_connect=limit_after_connect)

    guard_every_websocket(server, guarded_app)
