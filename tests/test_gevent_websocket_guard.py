"""The gevent websocket guard on a real socket pair: the limits of each websocket, as a client meets them."""
import struct

import gevent
import gevent.event
import gevent.selectors
import gevent.socket
import pytest
from engineio.async_drivers.gevent import Thread
from simple_websocket import ConnectionClosed
from websocket import ABNF

from soporte.realtime.gevent_websocket_guard import GuardedServer

SETTINGS = {"WEBSOCKET_FRAME_LIMIT_BEFORE_CONNECT": 100, "WEBSOCKET_BYTES_PER_SECOND": 1,
            "WEBSOCKET_BYTES_BURST": 5000, "WEBSOCKET_UNSENT_LIMIT": 4 << 20}
HANDSHAKE = {"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "QUERY_STRING": "EIO=4&transport=websocket",
             "HTTP_HOST": "127.0.0.1", "HTTP_CONNECTION": "Upgrade", "HTTP_UPGRADE": "websocket",
             "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==", "HTTP_SEC_WEBSOCKET_VERSION": "13"}


class Client:
    """The client's end of the pair: masked frames out, the server's frames in."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def send(self, payload, opcode=ABNF.OPCODE_TEXT, fin=1):
        self.sock.sendall(ABNF.create_frame(payload, opcode, fin=fin).format())

    def frame(self, timeout=5):
        """The next frame from the server: (opcode, payload)."""
        with gevent.Timeout(timeout):
            while True:
                if len(self.buffer) >= 2:
                    length, start = self.buffer[1] & 0x7F, 2
                    if length == 126:
                        length, start = struct.unpack("!H", self.buffer[2:4])[0], 4
                    elif length == 127:
                        length, start = struct.unpack("!Q", self.buffer[2:10])[0], 10
                    if len(self.buffer) >= start + length:
                        opcode, payload = self.buffer[0] & 0x0F, self.buffer[start:start + length]
                        self.buffer = self.buffer[start + length:]
                        return opcode, payload
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed without a close frame")
                self.buffer += chunk

    def close_code(self):
        opcode, payload = self.frame()
        assert opcode == ABNF.OPCODE_CLOSE, (opcode, payload[:50])
        return struct.unpack("!H", payload[:2])[0]


@pytest.fixture
def pair():
    """serve(connected=..., **settings): a GuardedServer on one end of a socket pair, and its Client."""
    made = []

    def serve(connected=lambda: True, **settings):
        server_end, client_end = gevent.socket.socketpair()
        made.extend([server_end, client_end])
        ws = GuardedServer({**HANDSHAKE, "gunicorn.socket": server_end}, connected=connected,
                           settings={**SETTINGS, **settings}, limit_after_connect=1000, thread_class=Thread,
                           event_class=gevent.event.Event, selector_class=gevent.selectors.DefaultSelector)
        client = Client(client_end)
        with gevent.Timeout(5):
            while b"\r\n\r\n" not in client.buffer:
                client.buffer += client_end.recv(4096)
        status, _, client.buffer = client.buffer.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        return ws, client

    yield serve
    for sock in made:
        sock.close()


def test_a_text_message_within_the_limits_is_received(pair):
    ws, client = pair()
    client.send("42[\"hola\"]")
    assert ws.receive(timeout=5) == "42[\"hola\"]"


def test_a_binary_frame_closes_with_1003(pair):
    ws, client = pair()
    client.send(b"\x04binario", ABNF.OPCODE_BINARY)
    assert client.close_code() == 1003
    with pytest.raises(ConnectionClosed):
        ws.receive(timeout=5)


def test_before_the_connect_only_small_messages_pass(pair):
    """100 bytes before the Socket.IO connect (a message over it closes with 1009); 1,000 after it."""
    connected = []
    ws, client = pair(connected=lambda: bool(connected))
    client.send("x" * 100)
    assert ws.receive(timeout=5) == "x" * 100
    connected.append(True)
    client.send("y" * 1000)
    assert ws.receive(timeout=5) == "y" * 1000
    client.send("z" * 1001)
    assert client.close_code() == 1009
    ws2, client2 = pair(connected=lambda: False)
    client2.send("x" * 101)
    assert client2.close_code() == 1009


def test_a_message_of_sixteen_frames_closes_with_1009(pair):
    """Fifteen fragments and a last frame pass; sixteen fragments without an end close the socket."""
    ws, client = pair()
    client.send("a", fin=0)
    for _ in range(14):
        client.send("b", ABNF.OPCODE_CONT, fin=0)
    client.send("c", ABNF.OPCODE_CONT, fin=1)
    assert ws.receive(timeout=5) == "a" + "b" * 14 + "c"
    client.send("", fin=0)
    for _ in range(15):
        client.send("", ABNF.OPCODE_CONT, fin=0)
    assert client.close_code() == 1009


def test_past_its_bytes_bucket_the_socket_is_closed_with_1008(pair):
    """A burst of 5,000 bytes: 4,000 pass, the next 2,000 close the socket."""
    ws, client = pair(connected=lambda: False, WEBSOCKET_FRAME_LIMIT_BEFORE_CONNECT=10000)
    client.send("x" * 4000)
    assert ws.receive(timeout=5) == "x" * 4000
    client.send("y" * 2000)
    assert client.close_code() == 1008


def test_a_large_frame_is_written_whole(pair):
    """simple-websocket writes a frame with send(), which may write part of it: the guard's socket writes all."""
    ws, client = pair()
    reader = gevent.spawn(client.frame)
    ws.send("m" * 2_000_000)
    opcode, payload = reader.get(timeout=10)
    assert opcode == ABNF.OPCODE_TEXT and len(payload) == 2_000_000


def test_the_frames_of_one_turn_arrive_whole_and_in_order(pair):
    """Sends in one turn of the loop go out together (outbox.py): all of them, in order."""
    ws, client = pair()
    for data in ["4a", "4b", "4c"]:
        ws.send(data)
    assert [client.frame() for _ in range(3)] == [(ABNF.OPCODE_TEXT, b"4a"), (ABNF.OPCODE_TEXT, b"4b"),
                                                 (ABNF.OPCODE_TEXT, b"4c")]
    assert client.buffer == b""
