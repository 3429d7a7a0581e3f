"""What one websocket client may send, in either async mode: the limits both websocket guards apply.

websocket_guard.py applies them to eventlet's websockets, gevent_websocket_guard.py to
simple-websocket's (gevent's); both from install(), to every websocket the server accepts.
"""
BINARY = 2  # the websocket opcode of a binary frame
READ_AHEAD = 16384  # bytes asked of the kernel per recv: several small frames at once
# browsers and socket.io clients send each message in one frame; a few fragments are let
# through for clients that split, but not an endless stream of empty ones
MAX_FRAGMENTS = 16
TOO_MUCH = "Demasiados datos; espera un momento"
NO_BINARY = "Este servidor no acepta datos binarios"
TOO_MANY_FRAGMENTS = "Demasiados fragmentos en un mensaje"


def guard_every_websocket(server, guarded_app):
    """Make every websocket app this python-socketio server builds from now on `guarded_app(handler, eio_server, connected)`.

    connected: () -> whether that Engine.IO connection has its Socket.IO connection on "/".
    """
    eio = server.eio

    def guarded_websocket(handler, eio_server):
        """The driver's websocket app for one Engine.IO socket, guarded."""
        eio_sid = handler.__self__.sid  # the handler is the Engine.IO socket's _websocket_handler

        def connected():
            """Whether this Engine.IO connection has a Socket.IO connection on "/"."""
            return server.manager.sid_from_eio_sid(eio_sid, "/") is not None

        return guarded_app(handler, eio_server, connected)

    # a copy: the driver's table is shared by every server in the process (each test's app)
    eio._async = {**eio._async, "websocket": guarded_websocket}
