"""Engine.IO's websocket transport without a greenthread per idle websocket.

engineio's Socket._websocket_handler starts a writer greenthread per websocket that takes
packets off the socket's queue and writes them, and reads in the request's greenthread
until the websocket ends. The websockets of both guards write without blocking
(outbox.py), so here the queue writes each packet as it is put: no writer. And where the
guard can park an idle websocket (eventlet's, parking.py), the reader stops when no frame
comes for a while and the request's greenthread ends; a new reader starts when the socket
is readable. serve() is engineio's handler (python-engineio 4.x) with only that changed.
"""
from engineio import exceptions, packet


class WrittenAtOnce:
    """An upgraded Engine.IO socket's queue: a packet put is written to the websocket; None closes it."""

    __slots__ = ("ws", "empty_error")

    def __init__(self, ws, empty_error):
        self.ws = ws
        self.empty_error = empty_error  # the async mode's queue.Empty

    def put(self, pkt):
        """Write one packet; None (engineio's close) closes the websocket, as its writer did on None."""
        try:
            if pkt is None:
                self.ws.close()
            else:
                self.ws.send(pkt.encode())
        except OSError:
            pass  # the client is gone (simple-websocket says so): its reader ends the session

    def get(self, *args, **kwargs):
        """Nothing is ever waiting: a long-polling GET on an upgraded socket ends it (engineio's QueueEmpty)."""
        raise self.empty_error()

    def task_done(self):
        """Nothing was taken."""

    def join(self):
        """Nothing is left to take: close(wait=True) need not wait."""

    def empty(self):
        """Always: packets are written as they come."""
        return True


class Idle(BaseException):
    """Raised by a parkable websocket's reader when no frame comes for a while between messages.

    A BaseException: eventlet's frame iterator answers any Exception with a 1011 close.
    """


def serve(eio_socket, ws, park=None):
    """Run one websocket of `eio_socket` (engineio's _websocket_handler): the upgrade, then its reader.

    park(resume): the websocket's reader has had nothing to read for a while; call resume() in a new
    greenthread when there is (None: the websocket cannot park, and this reads until it ends).
    """
    server = eio_socket.server
    for attr in ["_sock", "socket"]:  # engineio's: a read times out after a ping cycle
        if hasattr(ws, attr) and hasattr(getattr(ws, attr), "settimeout"):
            getattr(ws, attr).settimeout(server.ping_interval + server.ping_timeout)

    if eio_socket.connected:
        # the socket was already connected over long-polling, so this is an upgrade
        eio_socket.upgrading = True
        decoded_pkt = packet.Packet(encoded_packet=wait(ws, server))
        if decoded_pkt.packet_type != packet.PING or decoded_pkt.data != "probe":
            server.logger.info("%s: Failed websocket upgrade, no PING packet", eio_socket.sid)
            eio_socket.upgrading = False
            return []
        ws.send(packet.Packet(packet.PONG, data="probe").encode())
        eio_socket.queue.put(packet.Packet(packet.NOOP))  # end the poll waiting on the queue
        pkt = wait(ws, server)
        decoded_pkt = packet.Packet(encoded_packet=pkt)
        if decoded_pkt.packet_type != packet.UPGRADE:
            eio_socket.upgraded = False
            server.logger.info("%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                               eio_socket.sid, pkt)
            eio_socket.upgrading = False
            return []
        eio_socket.upgraded = True
        eio_socket.upgrading = False
    else:
        eio_socket.connected = True
        eio_socket.upgraded = True

    # what was queued before (the OPEN packet, or what long-polling did not take) goes first
    queued, eio_socket.queue = eio_socket.queue, WrittenAtOnce(ws, server.get_queue_empty_exception())
    while not queued.empty():
        eio_socket.queue.put(queued.get(block=False))

    read_packets(eio_socket, ws, park)
    return []


def wait(ws, server):
    """The websocket's next message (None: it ended); engineio's limit on its size."""
    data = ws.wait()
    if data and len(data) > server.max_http_buffer_size:
        raise ValueError("packet is too large")
    return data


def read_packets(eio_socket, ws, park):
    """Receive packets until the websocket ends, then close the Engine.IO socket; or until it parks."""
    server = eio_socket.server
    while True:
        try:
            p = wait(ws, server)
        except Idle:
            park(lambda: read_packets(eio_socket, ws, park))
            return
        except Exception as e:
            if not eio_socket.closed:  # if it is, this error follows from that
                server.logger.info('%s: Unexpected error "%s", closing connection', eio_socket.sid, str(e))
            break
        if p is None:  # connection closed by client
            break
        try:
            eio_socket.receive(packet.Packet(encoded_packet=p))
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            server.logger.info("Receive error -- socket is closed")
            break
        except Exception:  # logged, and the connection closed properly
            server.logger.exception("Unknown receive error")
            break

    # closes the websocket too, through the queue's None (a close of the server's meanwhile did already)
    eio_socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    # engineio forgets a websocket's socket when the request that opened it ends: this may be later
    server.sockets.pop(eio_socket.sid, None)
