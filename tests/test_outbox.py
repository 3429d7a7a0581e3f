"""A websocket's outbox on a real socket pair: one send per turn, never a blocked writer, a client that does not read cut off."""
import socket

import pytest

from soporte.realtime.outbox import Outbox


class TurnLoop:
    """The event loop as the outbox sees it, turned by the test."""

    def __init__(self):
        self.due = []
        self.writable = {}

    def soon(self, callback):
        self.due.append(callback)

    def when_writable(self, fileno, callback):
        self.writable[fileno] = callback
        return lambda: self.writable.pop(fileno)

    def turn(self):
        """Run what was due at this turn, and the waits for writable sockets."""
        due, self.due = self.due, []
        for callback in due + list(self.writable.values()):
            callback()


class CountedSocket:
    """The server's non-blocking end, counting its sends."""

    def __init__(self, sock):
        self.sock = sock
        self.sends = 0

    def send(self, data):
        self.sends += 1
        return self.sock.send(data)

    def __getattr__(self, name):
        return getattr(self.sock, name)


@pytest.fixture
def pair():
    """(outbox, loop, server end, client end) over a socket pair with small buffers."""
    server_end, client_end = socket.socketpair()
    for end in (server_end, client_end):
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server_end.setblocking(False)
    client_end.settimeout(5)
    loop, raw = TurnLoop(), CountedSocket(server_end)
    yield Outbox(raw, loop, limit=100_000), loop, raw, client_end
    server_end.close()
    client_end.close()


def read(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_the_frames_of_one_turn_go_in_one_send_in_order(pair):
    outbox, loop, raw, client = pair
    for frame in (b"\x81\x01a", b"\x81\x01b", b"\x81\x01c"):
        outbox.write(frame)
    assert raw.sends == 0  # nothing before the loop's turn: the caller never writes
    loop.turn()
    assert raw.sends == 1
    assert read(client, 9) == b"\x81\x01a\x81\x01b\x81\x01c"


def test_a_control_frame_goes_at_once_after_what_is_held(pair):
    outbox, loop, raw, client = pair
    outbox.write(b"\x81\x01a")
    outbox.write(b"\x88\x02\x03\xe8")  # close 1000: a shutdown may follow at once
    assert raw.sends == 1
    assert read(client, 7) == b"\x81\x01a\x88\x02\x03\xe8"
    loop.turn()
    assert raw.sends == 1  # the turn found nothing left


def test_what_the_client_does_not_take_yet_waits_for_it_whole_and_in_order(pair):
    """Far more than the kernel buffers hold: no write blocks, and the client gets every byte in order."""
    outbox, loop, raw, client = pair
    frames = [b"\x81\x7e" + len(body).to_bytes(2, "big") + body
              for body in (bytes([65 + n % 26]) * 1000 for n in range(60))]
    for frame in frames:
        outbox.write(frame)
    loop.turn()
    assert loop.writable  # the kernel took part: the rest waits for the socket
    got = b""
    while len(got) < sum(map(len, frames)):
        got += client.recv(65536)
        loop.turn()
    assert got == b"".join(frames)
    assert not loop.writable  # all written: no more waiting


def test_a_client_that_reads_nothing_is_cut_off_past_the_limit(pair):
    outbox, loop, raw, client = pair
    frame = b"\x81\x7e\x03\xe8" + b"x" * 1000
    for _ in range(200):  # 200 KB for a limit of 100 KB, of which the kernels hold a few
        outbox.write(frame)
        loop.turn()
    assert outbox.closed and not loop.writable
    received = b""
    while chunk := client.recv(65536):  # what the kernels held, then the end
        received += chunk
    assert 0 < len(received) < 200 * len(frame)
    outbox.write(frame)  # later writes go nowhere, and raise nothing for the emitter
    loop.turn()


def test_a_client_gone_stops_the_outbox_without_an_error(pair):
    outbox, loop, raw, client = pair
    client.close()
    outbox.write(b"\x81\x01a")
    loop.turn()
    outbox.write(b"\x81\x01b")
    loop.turn()
    assert outbox.closed and raw.sends <= 2


def test_what_is_held_follows_the_connection_to_its_new_socket(pair):
    """A parked websocket's socket is a dup of gunicorn's (parking.py): the outbox moves there, held bytes too."""
    outbox, loop, raw, client = pair
    outbox.write(b"\x81\x01a")
    dup = raw.sock.dup()
    try:
        outbox.rebind(dup)
        raw.sock.close()  # gunicorn closes its copy
        outbox.write(b"\x81\x01b")
        loop.turn()
        assert read(client, 6) == b"\x81\x01a\x81\x01b"
    finally:
        dup.close()
