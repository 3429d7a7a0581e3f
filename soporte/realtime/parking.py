"""An idle eventlet websocket waits with no greenthread: its socket taken from gunicorn's request and watched by the hub.

Under eventlet a websocket kept the greenthread of the request that opened it, blocked in
a read for as long as the websocket was open: 30-odd frames of gunicorn, Flask and
engineio, their stack and the request's objects, about 12 KB per idle socket. Now, when
no frame has come for PARK_AFTER seconds after a message (websocket_session.Idle), the
websocket is parked: the first time, its socket is detached from the request (a dup of
it, so that the request can end and gunicorn close its own), then the hub watches it, and
a new greenthread reads when bytes come. Detached websockets no longer count in gunicorn's
worker_connections; past MAX_DETACHED in a process they stay in their requests, as before.
"""
import eventlet
from eventlet.hubs import get_hub

MAX_DETACHED = 20000  # gunicorn.conf.py's worker_connections: the cap that detaching lifts
# a socket that writes more often than this keeps its reader: parking and waking it again per
# message would cost more CPU (a greenthread, a descriptor watch) than a waiting reader does
PARK_AFTER = 1.0


class Parking:
    """Where one eventlet websocket waits between messages."""

    __slots__ = ("ws", "detached", "listener")
    detached_count = 0  # this process's websockets taken from their requests

    def __init__(self, ws):
        self.ws = ws  # guarded (websocket_guard.guard): its socket is a MeteredSocket with an outbox
        self.detached = False
        self.listener = None  # the hub's watch while parked

    def possible(self):
        """Whether the websocket may park: it is detached already, or the process has room for one more."""
        return self.detached or Parking.detached_count < MAX_DETACHED

    def __call__(self, resume):
        """Park: no greenthread until the socket is readable, then resume() in a new one."""
        if not self.detached:
            self.detach()
        self.ws.iterator = self.ws._iter_frames()  # Idle ended eventlet's frame iterator
        hub = get_hub()

        def readable(_fileno):
            """From the hub: the client sent something."""
            self.stop_watching()
            eventlet.spawn_n(resume)

        self.listener = hub.add(hub.READ, self.ws.socket.fileno(), readable, lambda _error: None, None)

    def detach(self):
        """Take the socket from gunicorn's request, which can then end (and gunicorn close its copy)."""
        self.ws.socket.take_own_copy()

        def skip_once(*args, **kwargs):
            """eventlet's WebSocketWSGI sends a close frame once its handler returns: not this time."""
            del self.ws._send_closing_frame

        self.ws._send_closing_frame = skip_once
        self.detached = True
        Parking.detached_count += 1

    def stop_watching(self):
        """The hub stops watching the socket."""
        if self.listener is not None:
            get_hub().remove(self.listener)
            self.listener = None

    def stop(self):
        """The websocket is closing: no more watching, and its place is free."""
        self.stop_watching()
        if self.detached:
            self.detached = False
            Parking.detached_count -= 1
