"""Binary Socket.IO packets close their socket: the protocol has no binary events.

python-socketio keeps a BINARY_EVENT (type 5) or BINARY_ACK (6) aside until all the
attachments its header announces have arrived, and a client may announce 9,999,999,999:
`459999999999-["mensaje_privado",{"_placeholder":true,"num":0}]` followed by binary
frames grew a worker by every byte sent, for good. A binary Engine.IO message (a
binary websocket frame, or "b<base64>" over either transport) is an attachment or junk.
"""
import logging

log = logging.getLogger(__name__)

BINARY_PACKET_TYPES = ("5", "6")  # BINARY_EVENT, BINARY_ACK: the first character of a Socket.IO packet


def is_binary(data):
    """Whether an Engine.IO message is binary data or a binary Socket.IO packet."""
    return isinstance(data, (bytes, bytearray)) or data[:1] in BINARY_PACKET_TYPES


def refuse_binary_packets(server):
    """Make this python-socketio server close, at once, the Engine.IO connection that sends a binary packet."""
    handle_message = server._handle_eio_message

    def handle_eio_message(eio_sid, data):
        """python-socketio's dispatch, for text packets that are not binary events or acks."""
        if is_binary(data):
            close_at_once(server.eio, eio_sid)
            return None
        return handle_message(eio_sid, data)

    server._handle_eio_message = handle_eio_message  # what the Flask-SocketIO test client calls
    server.eio.on("message", handle_eio_message)  # what Engine.IO calls: it holds the bound method


def close_at_once(eio, eio_sid):
    """Close an Engine.IO connection from its own reader, without waiting for the client.

    abort and no wait: server.disconnect() would wait for the socket's queue to be sent,
    and a flooding client may read nothing, which would hold this reader (and it).
    """
    socket = eio.sockets.get(eio_sid)
    if socket is not None and not socket.closed:
        log.info("closing eio_sid=%s: it sent a binary packet", eio_sid)
        socket.close(wait=False, abort=True)
