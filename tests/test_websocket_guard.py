"""The websocket guard's pieces that need no server: the unmask and the buffered metered reader."""
import random
import socket
import struct
import threading
import warnings

import pytest

from soporte.realtime.throttle import TokenBucket

with warnings.catch_warnings():  # importing eventlet warns that it is deprecated; production imports it anyway
    warnings.simplefilter("ignore")
    from eventlet.websocket import FailedConnectionError, RFC6455WebSocket

    from soporte.realtime.websocket_guard import FrameGuard, MeteredSocket, apply_mask


eventlet_mask = RFC6455WebSocket._apply_mask  # eventlet's own, byte by byte


def test_the_unmask_is_byte_for_byte_eventlets():
    """Random payloads, masks, lengths and offsets (a payload read in pieces): the same bytes."""
    rng = random.Random(10)
    for _ in range(500):
        size = rng.choice([0, 1, 2, 3, 4, 5, 7, 8, 125, 126, 1000, rng.randrange(0, 30000)])
        data = rng.randbytes(size)
        mask = tuple(rng.randrange(256) for _ in range(4))
        offset = rng.randrange(0, 9)
        length = rng.choice([None, size, rng.randrange(0, size + 1)])
        assert apply_mask(data, mask, length=length, offset=offset) == \
            eventlet_mask(data, mask, length=length, offset=offset), (size, mask, offset, length)


def test_a_payload_unmasked_in_pieces_is_the_payload():
    """Masking, then unmasking in the chunks a socket might return, gives back the payload."""
    rng = random.Random(4)
    payload, mask = rng.randbytes(27001), [rng.randrange(256) for _ in range(4)]
    masked = apply_mask(payload, mask)
    pieces, received = [], 0
    while received < len(masked):
        piece = masked[received:received + rng.randrange(1, 5000)]
        pieces.append(apply_mask(piece, mask, length=len(piece), offset=received))
        received += len(piece)
    assert b"".join(pieces) == payload


class Chunks:
    """A socket that returns the given chunks, then b"" (closed)."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)

    def recv(self, size):
        return self.chunks.pop(0) if self.chunks else b""

    def settimeout(self, seconds):
        self.timeout = seconds


def test_the_metered_socket_fails_the_websocket_past_its_bucket():
    """Reads spend bytes from the bucket; the read that overdraws it fails with 1008; the rest passes through."""
    clock = [0.0]
    sock = MeteredSocket(Chunks(b"x" * 600, b"y" * 400, b"z"), TokenBucket(100, 1000, clock=lambda: clock[0]))
    assert sock.recv(1000) == b"x" * 600
    assert sock.recv(1000) == b"y" * 400
    with pytest.raises(FailedConnectionError) as failed:
        sock.recv(1000)
    assert failed.value.status == 1008
    sock.settimeout(3)
    assert sock._sock.timeout == 3  # everything else is the socket's own


def test_the_metered_socket_refills_over_time():
    clock = [0.0]
    sock = MeteredSocket(Chunks(b"x" * 1000, b"y" * 500), TokenBucket(100, 1000, clock=lambda: clock[0]))
    sock.recv(1000)
    clock[0] = 5.0  # 500 bytes back
    assert sock.recv(1000) == b"y" * 500


def test_shutting_down_a_closed_metered_socket_is_quiet():
    """Engine.IO's writer closes a websocket that eventlet already failed: no EBADF for eventlet to log."""
    import socket

    raw = socket.socket()
    sock = MeteredSocket(raw, TokenBucket(1, 1))
    raw.close()
    sock.shutdown(socket.SHUT_WR)


def client_frame(rng, opcode, payload, final=True):
    """One frame as a client sends it (RFC 6455 5.2): masked, even when empty; 7, 16 or 64-bit length."""
    length = len(payload)
    if length > 65535:
        size = struct.pack("!BQ", 0x80 | 127, length)
    elif length > 125:
        size = struct.pack("!BH", 0x80 | 126, length)
    else:
        size = struct.pack("!B", 0x80 | length)
    mask = [rng.randrange(256) for _ in range(4)]
    return bytes([opcode | (0x80 if final else 0)]) + size + bytes(mask) + eventlet_mask(payload, mask, length)


def client_frames(rng, messages):
    """The bytes a client sends for `messages`: text frames, some messages in fragments (cut anywhere, even
    inside a character), pings between fragments."""
    out = []
    for message in messages:
        data = message.encode()
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(0, 4)))) if len(data) > 1 else []
        pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        for i, piece in enumerate(pieces):
            out.append(client_frame(rng, 0 if i else 1, piece, final=i == len(pieces) - 1))
            if rng.random() < 0.2:
                out.append(client_frame(rng, 9, b"p"))  # a ping between fragments
    return b"".join(out)


def test_random_frames_round_trip_through_the_buffered_reader():
    """Random texts (empty to 70,000 bytes; 7, 16 and 64-bit lengths), fragments and pings, arriving in
    random pieces: the guarded reader (read-ahead, unmask, limits) gives back every message, in order."""
    rng = random.Random(12)
    alphabet = "aé€😀 \n{}[]\""
    sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000] + [rng.randrange(0, 3000) for _ in range(300)]
    rng.shuffle(sizes)
    messages = ["".join(rng.choice(alphabet) for _ in range(size // 2)) for size in sizes]
    wire = client_frames(rng, messages)
    client, server = socket.socketpair()

    def send_in_pieces():
        at = 0
        while at < len(wire):
            step = rng.choice([1, 2, 3, 7, 100, 4096, 20000, 100000])
            client.sendall(wire[at:at + step])
            at += step

    sender = threading.Thread(target=send_in_pieces, daemon=True)
    sender.start()
    ws = RFC6455WebSocket(server, {}, max_frame_length=1 << 20)
    ws._apply_mask = apply_mask
    ws.socket = MeteredSocket(server, TokenBucket(1 << 30, 1 << 30))
    ws._recv_frame = FrameGuard(ws, lambda: True, 4096).recv_frame
    received = [ws.wait() for _ in messages]
    sender.join(10)
    assert received == messages
    client.close()
    server.close()


def test_the_buffered_reader_serves_several_frames_from_one_recv():
    reads = []

    class Counting(Chunks):
        def recv(self, size):
            reads.append(size)
            return super().recv(size)

    frames = b"".join(client_frame(random.Random(i), 1, b"m%d" % i) for i in range(10))
    sock = MeteredSocket(Counting(frames), TokenBucket(1 << 20, 1 << 20))
    got = b""
    while len(got) < len(frames):
        got += sock.recv(2)
    assert got == frames
    assert len(reads) == 1  # 10 frames of 8 bytes in 2-byte asks: one recv of the kernel


def test_between_messages_the_reader_waits_a_while_then_says_quiet():
    """readable_within: True as soon as a byte comes (read by the recv that follows), False after the wait."""
    import time

    import eventlet

    server_end, client_end = socket.socketpair()
    server_end.setblocking(False)
    sock = MeteredSocket(server_end, TokenBucket(1 << 20, 1 << 20))
    try:
        start = time.monotonic()
        assert not sock.readable_within(0.05)
        assert time.monotonic() - start >= 0.05
        eventlet.spawn_after(0.02, client_end.sendall, b"abc")
        assert sock.readable_within(5)
        assert sock.recv(2) == b"ab"
        assert sock.readable_within(0)  # read ahead already
        assert sock.recv(5) == b"c"
        client_end.close()
        assert sock.readable_within(5)  # the end is something to read
        assert sock.recv(5) == b""
    finally:
        server_end.close()


def test_a_websocket_parks_only_where_the_process_has_room():
    from soporte.realtime.parking import MAX_DETACHED, Parking

    parking = Parking(ws=None)
    assert parking.possible()
    saved, Parking.detached_count = Parking.detached_count, MAX_DETACHED
    try:
        assert not parking.possible()  # it stays in its request: gunicorn's worker_connections applies
        parking.detached = True
        assert parking.possible()  # one detached already parks again
    finally:
        Parking.detached_count = saved
