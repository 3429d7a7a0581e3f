"""The websocket transport against a real server process (gunicorn + eventlet, as in production):
a flood of frames stalls no other socket, binary packets close their socket and cost no memory.

Raw clients speak Engine.IO/Socket.IO by hand (see Raw in test_security_live.py).
"""
import base64
import json
import multiprocessing
import socket
import statistics
import threading
import time

import pytest
import requests
import websocket

from conftest import ASYNC_MODE, LiveServer, checker_app
from flooder import flood_together
from test_security_live import Raw, peers, still_relays, token_of  # noqa: F401 (peers: a fixture)

pytestmark = pytest.mark.slow  # no database of its own to test: run once (the SQLite pass)

FLOOD_SECONDS = 5
BIG_FRAME = "6" + "x" * 27000  # a NOOP packet just under the frame limit after connect
SMALL_FRAME = "6" + "x" * 3000  # under the frame limit before connect: only the bytes/s cap stops it


@pytest.fixture(scope="module")
def server_app(tmp_path_factory):
    """The test database with the usual accounts, for this module's servers."""
    with checker_app(tmp_path_factory.mktemp("transport")) as app:
        yield app


def start(server_app, **settings):
    """A started server on the module's database, with the suite's message limits and these SOPORTE_ settings."""
    live = LiveServer(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"],
                      {"SOPORTE_TYPING_INTERVAL": "0", **{f"SOPORTE_{k}": str(v) for k, v in settings.items()}})
    return live.start()


@pytest.fixture(scope="module")
def server(server_app):
    """One server for the module (escribiendo unthrottled: the flood test's probe)."""
    live = start(server_app)
    yield live
    live.stop()


def poll_health(server, seconds, answers):
    """GET /healthz every 50 ms for `seconds`; append each status (or the error) to `answers`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answers.append(requests.get(server.url + "/healthz", timeout=2).status_code)
        except requests.RequestException as error:
            answers.append(type(error).__name__)
        time.sleep(0.05)


def relay_times(customer, agent, seconds):
    """The customer's `escribiendo`, one after another, for `seconds`: the seconds each took to reach the agent.

    escribiendo rather than mensaje_privado: it crosses the same sockets and relay, while
    a message's journal fsync blocks the whole process now and then (see the report on
    issue #10), which would be measured instead of the flood.
    """
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        customer.client.emit("escribiendo", {"para": "admin"})
        while agent.get(timeout=10)[0] != "escribiendo":
            pass
        times.append(time.perf_counter() - start)
        time.sleep(0.005)
    return times


def p99(values):
    """The 99th percentile, within the values (never extrapolated past the largest)."""
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def test_a_frame_flood_stalls_no_other_socket(server, peers):
    """Floods of frames from sockets with and without a Socket.IO connect, each reconnecting as
    soon as it is closed: every flooding socket is closed, another customer's messages keep
    reaching the agent with p99 under 100 ms and /healthz answers 200 throughout."""
    # every login first: its password check holds the whole process (see the report on issue #10)
    agent, customer = peers(server, token_of(server, "admin")), peers(server, token_of(server, "ana"))
    floods = [(BIG_FRAME, None), (SMALL_FRAME, None), (BIG_FRAME, token_of(server, "bob"))]
    quiet = relay_times(customer, agent, 3)  # the machine's own latency, printed beside the flood's
    # one process for the flooders: the server, the flooders and this client share two cores here
    spawn = multiprocessing.get_context("spawn")
    results, answers = spawn.Queue(), []
    flooder = spawn.Process(target=flood_together, args=(server.url, floods, FLOOD_SECONDS + 1, results))
    flooder.start()
    time.sleep(1)  # its interpreter starts
    health = threading.Thread(target=poll_health, args=(server, FLOOD_SECONDS, answers))
    health.start()
    busy = relay_times(customer, agent, FLOOD_SECONDS)
    health.join()
    sent, closed, stalled = results.get(timeout=30)
    flooder.join()
    print(f"\nflood: {sent / (FLOOD_SECONDS + 1) / 1e6:.1f} MB/s written by the flooders, "
          f"{closed} sockets closed by the server, {stalled} stalled; relay quiet p50 "
          f"{statistics.median(quiet) * 1000:.1f} ms p99 {p99(quiet) * 1000:.1f} ms, "
          f"flooded p50 {statistics.median(busy) * 1000:.1f} ms "
          f"p99 {p99(busy) * 1000:.1f} ms max {max(busy) * 1000:.1f} ms ({len(busy)} events); "
          f"{len(answers)} /healthz")
    assert set(answers) == {200}, answers
    assert p99(busy) < 0.1, (f"quiet p99 {p99(quiet) * 1000:.0f} ms", sorted(busy)[-5:])
    assert closed >= 3 and stalled == 0, (closed, stalled)
    assert server.process.poll() is None
    assert "WORKER TIMEOUT" not in server.log()
    assert "Bad file descriptor" not in server.log()  # eventlet's line for each closed socket, closed again


def test_a_client_that_does_not_read_is_cut_off_and_holds_up_nobody(server_app, peers):
    """An agent's socket that reads nothing while 6 MB of copies are due: the server drops it once
    64 KiB wait beyond what the kernel holds (outbox.py), and the agent that reads gets every copy."""
    # the customer may write its 3,000 messages (6 MB) at once: the suite's 1,000 a second refused
    # some whenever the server took them faster (under gevent, always)
    live = start(server_app, WEBSOCKET_UNSENT_LIMIT=65536, WEBSOCKET_BYTES_BURST=64 << 20, MESSAGE_BURST=3000)
    try:
        reading = peers(live, token_of(live, "admin"))
        url = live.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        # a small receive buffer, set before the connect: the client's kernel takes little for it
        stuck = websocket.create_connection(url, cookie=f"token={token_of(live, 'agente2')}", origin=live.url,
                                            sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)], timeout=5)
        assert stuck.recv().startswith("0{")
        stuck.send("40")
        assert stuck.recv().startswith("40{")
        customer = Raw(live, token_of(live, "bob"))
        assert customer.connect().startswith("40{")
        count, acks = 3000, {}
        for batch in range(0, count, 100):  # reading its acks: the customer is no stuck client
            for n in range(batch, batch + 100):
                customer.emit({"para": "admin", "mensaje": f"{n:04d}" + "x" * 1996})
            acks.update(customer.acks(100, timeout=60))
        assert len(acks) == count
        assert [ack for ack in acks.values() if not ack["ok"]] == []
        got = set()
        while len(got) < count:
            event, payload = reading.get(timeout=30)
            if event == "mensaje_recibido":
                got.add(payload["id"])
        assert got == {ack["id"] for ack in acks.values()}
        frames, ended = 0, None
        stuck.settimeout(10)
        try:  # what the kernels held for it, then the end: no close frame (it reads nothing)
            while frames <= count:
                opcode, _ = stuck.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                frames += 1
        except (websocket.WebSocketConnectionClosedException, ConnectionError) as error:
            ended = error
        assert ended is not None and frames < count, (frames, ended)
        print(f"\nthe stuck agent got {frames} of {count} frames before the server closed it")
        assert "closing a websocket whose client has not read" in live.log()
        assert still_relays(live, peers)
    finally:
        live.stop()


class FewRequests(LiveServer):
    """A server whose worker serves at most `connections` requests at once (gunicorn's worker_connections)."""

    connections = 8

    def command(self):
        return super().command() + ["--worker-connections", str(self.connections)]


@pytest.mark.skipif(ASYNC_MODE != "eventlet", reason="gevent's websockets keep their requests (parking.py is eventlet's)")
def test_idle_websockets_hold_no_request(server_app, peers):
    """Twenty websockets on a worker that serves eight requests at once: each one, idle, parks and
    leaves its request (parking.py), so all twenty connect, and each gets its events after waiting."""
    live = FewRequests(server_app.tmp, server_app.config["SQLALCHEMY_DATABASE_URI"]).start()
    try:
        tabs = [Raw(live, token_of(live, "admin")) for _ in range(20)]
        for tab in tabs:
            assert tab.connect().startswith("40{")
        assert requests.get(live.url + "/healthz", timeout=5).status_code == 200
        time.sleep(1.5)  # every tab idle long enough to park (PARK_AFTER)
        ack = peers(live, token_of(live, "ana")).call("admin", "¿me leen todas?")
        assert ack["ok"] is True
        for tab in tabs:
            packet = tab.recv(timeout=10)
            while not packet.startswith('42["mensaje_recibido"'):
                packet = tab.recv(timeout=10)
            assert json.loads(packet[2:])[1]["id"] == ack["id"]
        tabs[0].emit({"para": "ana", "mensaje": "sí"})  # and it can still write
        assert tabs[0].acks(1)[0]["ok"] is True
    finally:
        live.stop()


# --- what one socket may send ---------------------------------------------------------------

NOOP = "6"  # an Engine.IO NOOP packet: the server reads it and does nothing


def send_until_closed(raw, frame, limit):
    """Send `frame` until the server closes the socket or `limit` bytes went out; the bytes sent."""
    sent = 0
    try:
        while sent < limit:
            raw.ws.send(frame)
            sent += len(frame)
    except (websocket.WebSocketException, ConnectionError, OSError):
        pass
    return sent


def still_open(raw):
    """Whether the server keeps this socket: it answers a Socket.IO connect to a namespace that does not exist."""
    raw.ws.send("40/nada,")
    return raw.recv().startswith("44/nada,")


def test_before_its_connect_a_socket_may_send_only_small_frames(server):
    """Before the Socket.IO connect: a frame of 4 KiB passes, one of 27 KB closes the socket (1009),
    and so does a message of small fragments that add up to more; after the connect 27 KB passes."""
    raw = Raw(server)
    raw.ws.send(NOOP + "x" * 4000)
    assert still_open(raw)
    raw.ws.send(BIG_FRAME)
    assert raw.close_code() in (1009, "reset")  # reset: the server closed with the frame unread
    raw = Raw(server)
    raw.ws.send_frame(websocket.ABNF.create_frame(NOOP + "x" * 3000, websocket.ABNF.OPCODE_TEXT, fin=0))
    raw.ws.send_frame(websocket.ABNF.create_frame("x" * 3000, websocket.ABNF.OPCODE_CONT, fin=1))
    assert raw.close_code() in (1009, "reset")  # reset: the server closed with the second frame unread
    raw = Raw(server, token_of(server, "bob"))
    assert raw.connect().startswith("40{")
    raw.ws.send(BIG_FRAME)
    assert still_open(raw)
    raw.close()


def test_endless_empty_fragments_close_the_socket(server):
    """A message that never ends, in empty continuation frames, is closed (1009), not kept growing."""
    raw = Raw(server, token_of(server, "bob"))
    assert raw.connect().startswith("40{")
    raw.ws.send_frame(websocket.ABNF.create_frame(NOOP, websocket.ABNF.OPCODE_TEXT, fin=0))
    for _ in range(15):  # 16 frames, and no more: the server reads them all before it refuses the 17th
        raw.ws.send_frame(websocket.ABNF.create_frame("", websocket.ABNF.OPCODE_CONT, fin=0))
    assert raw.close_code() == 1009


@pytest.mark.parametrize("connected", [False, True])
def test_a_socket_past_its_bytes_per_second_is_closed(server, peers, connected):
    """Frames the size limit allows, sent as fast as possible: past the burst (1 MiB) and rate the
    server closes that socket with 1008; another socket is untouched."""
    agent = peers(server, token_of(server, "admin"))
    raw = Raw(server, token_of(server, "bob") if connected else None)
    if connected:
        assert raw.connect().startswith("40{")
    frame = BIG_FRAME if connected else SMALL_FRAME
    sent = send_until_closed(raw, frame, 64 << 20)
    assert sent < 64 << 20, "the server read 64 MB from one socket without closing it"
    assert raw.close_code() in (1008, "reset")
    print(f"\nclosed after {sent / 1e6:.1f} MB written")
    assert agent.client.connected and agent.call("ana", "¿sigues ahí?")["ok"] is True


def test_the_bytes_cap_sends_1008(server_app):
    """The close frame says why: 1008, on a server whose bucket holds 100,000 bytes and barely refills.

    Frames one at a time, so the server has read all of each (a close with bytes still
    unread reaches the client as a reset, without the close frame).
    """
    live = start(server_app, WEBSOCKET_BYTES_PER_SECOND=1, WEBSOCKET_BYTES_BURST=100000)
    try:
        raw = Raw(live, token_of(live, "bob"))
        assert raw.connect().startswith("40{")
        for _ in range(3):  # 81,000 bytes and their headers: within the bucket
            raw.ws.send(BIG_FRAME)
            time.sleep(0.05)
        assert still_open(raw)
        raw.ws.send(BIG_FRAME)  # past it
        assert raw.close_code() == 1008
    finally:
        live.stop()


def test_binary_frames_close_the_socket(server):
    """The protocol has no binary data: a binary frame gets close code 1003."""
    raw = Raw(server, token_of(server, "bob"))
    assert raw.connect().startswith("40{")
    raw.ws.send_binary(b"\x04" + b"x" * 100)
    assert raw.close_code() == 1003


def test_pre_rfc6455_handshakes_are_refused(server):
    """A hixie-75 handshake (no Sec-WebSocket-Version), whose reader buffers without a limit, gets 400."""
    host = f"127.0.0.1:{server.port}".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + host + b"\r\n"
                     b"Upgrade: WebSocket\r\nConnection: Upgrade\r\nOrigin: http://" + host + b"\r\n\r\n")
        status = conn.recv(200).split(b"\r\n")[0]
    assert status.startswith(b"HTTP/1.1 400"), status


# --- binary packets -------------------------------------------------------------------------

ATTACHMENTS = '459999999999-["mensaje_privado",{"_placeholder":true,"num":0}]'  # a BINARY_EVENT


def worker_rss(server):
    """The resident memory of the server's gunicorn worker, in bytes."""
    master = server.process.pid
    worker = open(f"/proc/{master}/task/{master}/children").read().split()[0]
    for line in open(f"/proc/{worker}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024


@pytest.mark.parametrize("attachment", ["frame", "base64"])
def test_a_binary_event_closes_its_socket_and_costs_no_memory(server, peers, attachment):
    """A BINARY_EVENT that announces 9,999,999,999 attachments closes that connection at once:
    the 50 MB of attachments that follow (binary frames, or "b<base64>" text) are not kept."""
    agent = peers(server, token_of(server, "admin"))
    raw = Raw(server, token_of(server, "bob"))
    assert raw.connect().startswith("40{")
    before = worker_rss(server)
    raw.ws.send(ATTACHMENTS)
    chunk = b"\x00" * 20000
    frame = (lambda: raw.ws.send_binary(chunk)) if attachment == "frame" else \
        (lambda: raw.ws.send("b" + base64.b64encode(chunk).decode()))
    sent = 0
    try:
        while sent < 50_000_000:
            frame()
            sent += len(chunk)
    except (websocket.WebSocketException, ConnectionError, OSError):
        pass
    closed = raw.closed_within(5)
    time.sleep(0.5)
    grown = worker_rss(server) - before
    print(f"\n{attachment}: {sent / 1e6:.1f} MB of attachments written; worker RSS {grown / 1e6:+.1f} MB")
    assert closed, "the server kept the socket"
    assert sent < 50_000_000, "the server read 50 MB of attachments"
    assert grown < 5_000_000, grown
    assert agent.client.connected and agent.call("ana", "¿sigues ahí?")["ok"] is True


def test_a_binary_ack_or_binary_data_over_polling_closes_the_session(server):
    """Over long-polling too: a BINARY_ACK ("46...") or a binary message ("b<base64>") ends the session."""
    token = token_of(server, "bob")
    for body in ('461-[{"_placeholder":true,"num":0}]', "bAAAA", '451-["x",{"_placeholder":true,"num":0}]'):
        http = requests.Session()
        http.cookies.set("token", token)
        base = server.url + "/socket.io/?EIO=4&transport=polling"
        sid = json.loads(http.get(base).text[1:])["sid"]
        assert http.post(f"{base}&sid={sid}", data="40").status_code == 200
        assert http.get(f"{base}&sid={sid}").text.startswith("40{")
        assert http.post(f"{base}&sid={sid}", data=body).status_code == 200
        answer = http.get(f"{base}&sid={sid}", timeout=5)
        assert answer.status_code == 400 and "disconnected" in answer.text, (body, answer.status_code, answer.text)
