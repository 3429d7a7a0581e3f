"""The websocket guard's pieces that need no server: the unmask, the metered socket."""
import random
import warnings

import pytest

from soporte.realtime.throttle import TokenBucket

with warnings.catch_warnings():  # importing eventlet warns that it is deprecated; production imports it anyway
    warnings.simplefilter("ignore")
    from eventlet.websocket import FailedConnectionError, RFC6455WebSocket

    from soporte.realtime.websocket_guard import MeteredSocket, apply_mask

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
