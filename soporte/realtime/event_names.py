"""Which event names a client may send: the names the Socket.IO libraries reserve never reach a handler."""
import functools
import logging

from socketio import packet

from soporte.protocol import NOT_ALLOWED, refused

log = logging.getLogger(__name__)

# python-socketio dispatches a client's EVENT by its name, reserved or not: `42["disconnect"]`
# would run on_disconnect (the socket leaves the session list, so the sweep never cuts it, yet
# it keeps its rooms) and `42["connect"]` on_connect (a fresh rate bucket, presence counted
# twice). "*" is the name of a catch-all handler, "message" and "json" the events of send()
# (Flask-SocketIO); the others are reserved by the JavaScript client and server, so no real
# client sends any of them.
RESERVED = frozenset({"connect", "disconnect", "connect_error", "disconnecting",
                      "newListener", "removeListener", "message", "json", "*"})


def allowed(data):
    """Whether an EVENT packet's data is [name, *args] with a name a client may send."""
    return (isinstance(data, list) and bool(data) and isinstance(data[0], str)
            and data[0] not in RESERVED)


def guard_event_names(server):
    """Make `server` (a python-socketio Server) drop client events that are reserved or nameless.

    A dropped event with an acknowledgement id is answered with the protocol's refusal.
    Wrapping the instance's _handle_event covers text and binary events alike, and the
    test client, which feeds packets through the same path.
    """
    handle_event = server._handle_event

    @functools.wraps(handle_event)
    def checked(eio_sid, namespace, ack_id, data):
        """Pass an allowed event on; refuse any other."""
        if allowed(data):
            return handle_event(eio_sid, namespace, ack_id, data)
        namespace = namespace or "/"
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
        log.debug("dropped a reserved or nameless event from sid=%s", sid)
        if ack_id is not None and server.manager.is_connected(sid, namespace):
            server._send_packet(eio_sid, server.packet_class(
                packet.ACK, namespace=namespace, id=ack_id, data=[refused(NOT_ALLOWED)]))

    server._handle_event = checked
