"""Fault tests: a real server (gunicorn + eventlet), real websockets, and MariaDB behind a proxy
that cuts, stalls and restores it (tests/faultproxy.py).

Customers write to the inbox with unique cids (the text is the cid), agents receive. Each test
prints what it measured (`pytest -s` shows it): messages sent, acknowledged, delivered,
stored, duplicates, latencies. They need MariaDB and are skipped on SQLite.
"""
import asyncio
import collections
import os
import resource
import signal
import time
import uuid

import aiohttp
import pytest
import requests
import socketio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from soporte.extensions import db
from soporte.models import Usuario
from soporte.realtime.sessions import SEND_ROLE_WAIT
from soporte.accounts.tokens import issue_token

from conftest import LiveServer, drain, make_users
from faultproxy import FaultProxy

DATABASE_URL = os.environ.get("SOPORTE_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("mysql"),
    reason="fault tests need MariaDB behind the fault proxy: set SOPORTE_TEST_DATABASE_URL=mysql+pymysql://...")

AGENTS = ("admin", "agente2")
# the load here is the test's, not a flood: keep the per-socket rate limit out of the way
SERVER_ENV = {"SOPORTE_MESSAGE_RATE": "100", "SOPORTE_MESSAGE_BURST": "200"}
MAX_DELIVERY_P99 = 1.0  # seconds, send -> agent's receipt, whatever the database does


# --- fixtures -------------------------------------------------------------------------

@pytest.fixture
def proxy():
    """The fault proxy in front of the test's MariaDB."""
    target = make_url(DATABASE_URL)
    proxy = FaultProxy((target.host or "127.0.0.1", target.port or 3306)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def server(app, tmp_path, proxy):
    """A LiveServer whose database connection goes through the proxy."""
    server = LiveServer(tmp_path, proxy.database_url(app.config["SQLALCHEMY_DATABASE_URI"]), SERVER_ENV)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def store(app):
    """Direct access to the messages table (not through the proxy)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    yield Store(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def enough_file_descriptors():
    """Hundreds of sockets on each side: lift the soft limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 8192 if hard == resource.RLIM_INFINITY else min(8192, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- the database, seen directly ------------------------------------------------------

class Store:
    """Rows of `mensajes`, read straight from MariaDB."""

    def __init__(self, engine):
        self.engine = engine

    def rows(self):
        with self.engine.connect() as connection:
            return connection.execute(text(
                "SELECT id, de_usuario, conversacion, mensaje, cid FROM mensajes")).all()

    def wait_for(self, cids, timeout):
        """Wait until every cid is stored; return the seconds it took (None: not in time)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if set(cids) <= {row.cid for row in self.rows()}:
                return round(time.monotonic() - started, 2)
            time.sleep(0.25)
        return None

    def check(self, load):
        """Figures on what is stored, against what was sent and acknowledged."""
        rows = self.rows()
        stored = {row.cid for row in rows}
        acked = load.acked_ok()
        return {
            "stored": len(rows),
            "duplicates": duplicates(rows),
            "acked_missing": len(acked - stored),
            "unacked_stored": len((set(load.sent) - acked) & stored),
            "phantoms": len(stored - set(load.sent)),
        }


def duplicates(rows):
    """Rows beyond the first with the same id, the same (de_usuario, cid) or the same text."""
    extra = 0
    for key in (lambda r: r.id, lambda r: (r.de_usuario, r.cid), lambda r: r.mensaje):
        extra += sum(n - 1 for n in collections.Counter(map(key, rows)).values() if n > 1)
    return extra


# --- clients --------------------------------------------------------------------------

class Load:
    """The clients of one test: their peers, what was sent when, and the figures."""

    def __init__(self, server, tokens, customers):
        self.url = server.url
        self.tokens = tokens
        self.customers = list(customers)
        self.peers = []
        self.sent = {}  # cid -> (peer, monotonic time)
        self.sent_to = {}  # cid -> para
        self.ack_at = {}  # cid -> monotonic time
        self.unsent = 0  # sends refused by a client that was not connected
        self.catch_ups = []
        self.ws = self.http = self.http_slots = None

    async def __aenter__(self):
        self.ws = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=50))
        self.http_slots = asyncio.Semaphore(50)
        return self

    async def __aexit__(self, *exc):
        await asyncio.gather(*(p.client.disconnect() for p in self.peers), return_exceptions=True)
        await self.ws.close()
        await self.http.close()

    def peer(self, username, **options):
        peer = Peer(self, username, **options)
        self.peers.append(peer)
        return peer

    async def connect_all(self, batch=50):
        for i in range(0, len(self.peers), batch):
            await asyncio.gather(*(p.connect() for p in self.peers[i:i + batch]))

    def acked_ok(self):
        """cids whose acknowledgement said ok."""
        return {cid for peer in self.peers for cid, ack in peer.acks.items() if ack.get("ok")}

    def acks_failed(self):
        return sum(1 for peer in self.peers for ack in peer.acks.values() if not ack.get("ok"))

    async def wait_for_acks(self, timeout):
        """Wait until every message sent to a connected socket has its acknowledgement."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.ack_at) < len(self.sent):
            await asyncio.sleep(0.1)

    def delivery(self, cids, receivers):
        """Send -> receipt latencies of these messages at these peers, and what is missing or doubled."""
        latencies, missing, doubled = [], 0, 0
        for peer in receivers:
            seen = collections.defaultdict(list)
            for _id, payload, at in peer.received:
                seen[payload["mensaje"]].append(at)
            for cid in cids:
                times = seen.get(cid)
                if not times:
                    missing += 1
                    continue
                doubled += len(times) - 1
                latencies.append(times[0] - self.sent[cid][1])
        return latencies, missing, doubled


class Peer:
    """One Socket.IO connection of one account: what it sent, what came back, what it received."""

    def __init__(self, load, username, reconnect=True):
        self.load, self.username = load, username
        self.agent = username in AGENTS
        self.client = socketio.AsyncClient(
            reconnection=reconnect, reconnection_delay=0.5, reconnection_delay_max=2,
            http_session=load.ws, handle_sigint=False)
        self.received = []  # (id, payload, monotonic time), mensaje_recibido and mensaje_enviado
        self.acks = {}  # cid -> acknowledgement
        self.connects = 0
        self.caught = []  # (conversation, id) from the catch-ups after reconnecting
        self.caught_per_catch_up = []  # the same, one list per catch-up
        self.catch_up_on_reconnect = False
        self.client.on("connect", self.on_connect)
        self.client.on("mensaje_recibido", self.on_message)
        self.client.on("mensaje_enviado", self.on_message)

    @property
    def cookie(self):
        return {"Cookie": f"token={self.load.tokens[self.username]}"}

    async def connect(self):
        for attempt in range(3):
            try:
                # the auth payload, not a Cookie header: python-engineio moves a Cookie header
                # into the (here shared) session's jar and drops it before reconnecting
                await self.client.connect(self.load.url, auth={"token": self.load.tokens[self.username]},
                                          transports=["websocket"], wait_timeout=10)
                return
            except socketio.exceptions.ConnectionError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.5)

    async def on_connect(self):
        self.connects += 1
        if self.connects > 1 and self.catch_up_on_reconnect:
            # what a client does on reconnecting: ask for what came after the last message it saw
            self.load.catch_ups.append(asyncio.ensure_future(self.catch_up(self.last_seen())))

    async def on_message(self, payload):
        self.received.append((payload["id"], payload, time.monotonic()))

    def conversations(self):
        return self.load.customers if self.agent else [self.username]

    def conversation_of(self, payload):
        return payload["para"] if payload["de"] in AGENTS else payload["de"]

    def seen(self):
        """(conversation, id) of every message this peer saw live: received, or its own acknowledged."""
        seen = {(self.conversation_of(p), i) for i, p, _ in self.received}
        for cid, ack in self.acks.items():
            if ack.get("ok"):
                para = self.load.sent_to[cid]
                seen.add((para if self.agent else self.username, ack["id"]))
        return seen

    def last_seen(self):
        last = dict.fromkeys(self.conversations(), 0)
        for conversation, message_id in self.seen():
            last[conversation] = max(last[conversation], message_id)
        return last

    async def send(self, para, tag):
        """Send one message whose text is its cid; the ack lands in self.acks."""
        cid = f"{self.username}-{tag}-{uuid.uuid4().hex[:12]}"

        def on_ack(ack):
            self.acks[cid] = ack
            self.load.ack_at[cid] = time.monotonic()

        if not self.client.connected:
            self.load.unsent += 1
            return None
        self.load.sent[cid] = (self, time.monotonic())
        self.load.sent_to[cid] = para
        try:
            await self.client.emit("mensaje_privado", {"para": para, "mensaje": cid, "cid": cid},
                                   callback=on_ack)
        except socketio.exceptions.SocketIOError:  # disconnected meanwhile
            del self.load.sent[cid]
            self.load.unsent += 1
            return None
        return cid

    async def catch_up(self, marks):
        """GET every message after the marks, page by page, as the page script does."""
        path = "/api/mensajes" if self.agent else "/api/mensajes/mios"
        caught = []
        self.caught_per_catch_up.append(caught)
        for conversation, despues in marks.items():
            while True:
                params = {"despues": despues, "limite": 500, **({"con": conversation} if self.agent else {})}
                async with self.load.http_slots:
                    async with self.load.http.get(self.load.url + path, params=params,
                                                  headers=self.cookie) as response:
                        assert response.status == 200, await response.text()
                        page = await response.json()
                found = [(conversation, m["id"]) for m in page]
                caught += found
                self.caught += found
                if len(page) < 500:
                    break
                despues = page[-1]["id"]


async def send_steadily(peer, para, rate, stop, phase):
    """Send `rate` messages a second from a peer until stop is set; phase() labels each message."""
    interval, due = 1.0 / rate, time.monotonic()
    while not stop.is_set():
        await peer.send(para, phase())
        due += interval
        await asyncio.sleep(max(0.0, due - time.monotonic()))


# --- helpers --------------------------------------------------------------------------

def tokens_for(app, usernames):
    """Login tokens as soporte issues them (the slow password check is not under test here)."""
    with app.app_context():
        found = {u.usuario: issue_token(u) for u in db.session.scalars(
            db.select(Usuario).where(Usuario.usuario.in_(list(usernames))))}
        db.session.remove()
    return found


def customers_named(app, count, prefix="cliente"):
    """`count` customer accounts (ana and bob first, then new ones)."""
    names = ["ana", "bob"] + [f"{prefix}{i:02d}" for i in range(count - 2)]
    with app.app_context():
        make_users(*((name, "user") for name in names[2:]))
        db.session.remove()
    return names


def readiness(server):
    """(status code, body, seconds) of GET /readyz."""
    started = time.monotonic()
    response = requests.get(server.url + "/readyz", timeout=15)
    return response.status_code, response.json(), round(time.monotonic() - started, 2)


def wait_ready(server, timeout=30):
    """Wait for /readyz to say 200; return its body."""
    deadline = time.monotonic() + timeout
    while True:
        code, body, _ = readiness(server)
        if code == 200 or time.monotonic() > deadline:
            assert code == 200, body
            return body
        time.sleep(0.25)


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 3)


def latency_figures(prefix, values):
    return {f"{prefix}_p50": percentile(values, 0.50), f"{prefix}_p99": percentile(values, 0.99),
            f"{prefix}_max": round(max(values), 3) if values else None}


def report(test, **figures):
    """Print a test's figures on one line (`pytest -s` shows them)."""
    print(f"\n[fault] {test}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


def server_pids(server):
    """The gunicorn master and its workers."""
    master = server.process.pid
    with open(f"/proc/{master}/task/{master}/children") as f:
        return master, [int(pid) for pid in f.read().split()]


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def kill_hard(server):
    """SIGKILL the master and its worker at once (a crash: no hook, no flush, no goodbye)."""
    master, workers = server_pids(server)
    for pid in [master, *workers]:
        os.kill(pid, signal.SIGKILL)
    server.process.wait()
    deadline = time.monotonic() + 10
    while not all(gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)


# --- the tests ------------------------------------------------------------------------

def test_database_down_for_20_seconds(app, proxy, server, store):
    """DB away 22 s (11 refused, 11 blackholed) while 8 customers send: delivery stays immediate,
    every acknowledged message is stored exactly once after recovery."""
    customers = customers_named(app, 8)
    tokens = tokens_for(app, customers + list(AGENTS))

    async def scenario():
        async with Load(server, tokens, customers) as load:
            agents = [load.peer("admin"), load.peer("admin"), load.peer("agente2")]
            senders = [load.peer(name) for name in customers]
            await load.connect_all()
            stop, phase = asyncio.Event(), {"now": "up"}
            tasks = [asyncio.ensure_future(send_steadily(p, "admin", 4, stop, lambda: phase["now"]))
                     for p in senders]
            # and an agent answering ana, to whom the database is as unreachable
            tasks.append(asyncio.ensure_future(send_steadily(agents[2], "ana", 1, stop, lambda: phase["now"])))
            await asyncio.sleep(2)
            phase["now"] = "down"
            outage_started = time.monotonic()
            proxy.cut("refuse")
            await asyncio.sleep(6)
            during = await asyncio.to_thread(readiness, server)
            await asyncio.sleep(5)
            proxy.cut("blackhole")
            await asyncio.sleep(11)
            proxy.restore()
            outage = time.monotonic() - outage_started
            phase["now"] = "back"
            await asyncio.sleep(2)
            stop.set()
            await asyncio.gather(*tasks)
            await load.wait_for_acks(15)
            return load, agents, during, outage

    load, agents, during, outage = asyncio.run(scenario())
    acked = load.acked_ok()
    recovery = store.wait_for(acked, timeout=30)
    figures = store.check(load)
    in_outage = [cid for cid in acked if "-down-" in cid and not cid.startswith("agente2-")]
    latencies, missing, doubled = load.delivery(in_outage, agents)
    ack_latencies = [load.ack_at[c] - load.sent[c][1] for c in in_outage]
    replies = [cid for cid in load.sent if "-down-" in cid and cid.startswith("agente2-")]
    reply_latencies, replies_missing, replies_doubled = load.delivery(
        [c for c in replies if c in acked], [p for p in load.peers if p.username == "ana"])
    after = wait_ready(server)
    report("database down", outage_s=round(outage, 1), sent=len(load.sent), sent_in_outage=len(in_outage),
           acked=len(acked), acks_failed=load.acks_failed(), delivered=len(latencies),
           delivery_missing=missing, delivery_duplicates=doubled, **latency_figures("delivery_s", latencies),
           **latency_figures("ack_s", ack_latencies), agent_replies_in_outage=len(replies),
           agent_replies_acked=len([c for c in replies if c in acked]), agent_replies_missing=replies_missing,
           **latency_figures("agent_reply_delivery_s", reply_latencies), readyz_during=during[0],
           readyz_during_s=during[2], stored_after_restore_s=recovery, **figures,
           spool_depth_after=after["spool"]["depth"])
    assert outage >= 20
    assert in_outage and load.acks_failed() == 0 and len(acked) == len(load.sent)
    assert missing == 0 and doubled == 0
    assert percentile(latencies, 0.99) < MAX_DELIVERY_P99
    # an agent's message waits at most SEND_ROLE_WAIT for a stale role, then goes with the cached one
    assert replies and replies_missing == 0 and replies_doubled == 0
    assert percentile(reply_latencies, 0.99) < MAX_DELIVERY_P99 + SEND_ROLE_WAIT
    assert during[0] == 503 and during[1]["database"]["ok"] is False
    assert recovery is not None, "acknowledged messages not stored 30 s after the database came back"
    assert figures["duplicates"] == 0 and figures["acked_missing"] == 0 and figures["phantoms"] == 0
    assert after["spool"]["depth"] == 0


def test_database_slow(app, proxy, server, store):
    """Every chunk to and from the DB held 1.5 s (each statement >= 3 s): delivery and acks unaffected."""
    customers = customers_named(app, 8)
    tokens = tokens_for(app, customers + list(AGENTS))

    async def scenario():
        async with Load(server, tokens, customers) as load:
            agents = [load.peer("admin"), load.peer("agente2")]
            senders = [load.peer(name) for name in customers]
            await load.connect_all()
            stop, phase = asyncio.Event(), {"now": "up"}
            tasks = [asyncio.ensure_future(send_steadily(p, "admin", 4, stop, lambda: phase["now"]))
                     for p in senders]
            await asyncio.sleep(1)
            proxy.stall(1.5)
            phase["now"] = "slow"
            statement = await asyncio.to_thread(time_statement, proxy)
            during = await asyncio.to_thread(readiness, server)
            await asyncio.sleep(max(0.0, 10 - statement - during[2]))
            proxy.restore()
            phase["now"] = "back"
            await asyncio.sleep(1)
            stop.set()
            await asyncio.gather(*tasks)
            await load.wait_for_acks(15)
            return load, agents, statement, during

    load, agents, statement, during = asyncio.run(scenario())
    acked = load.acked_ok()
    recovery = store.wait_for(acked, timeout=30)
    figures = store.check(load)
    slow = [cid for cid in acked if "-slow-" in cid]
    latencies, missing, doubled = load.delivery(slow, agents)
    ack_latencies = [load.ack_at[c] - load.sent[c][1] for c in slow]
    report("database slow", db_connect_and_select_s=statement, sent=len(load.sent), sent_while_slow=len(slow),
           acked=len(acked), acks_failed=load.acks_failed(), delivered=len(latencies),
           delivery_missing=missing, delivery_duplicates=doubled, **latency_figures("delivery_s", latencies),
           **latency_figures("ack_s", ack_latencies), readyz_during=during[0], readyz_during_s=during[2],
           stored_after_restore_s=recovery, **figures)
    assert statement >= 3, "the proxy did not slow the database down"
    assert slow and load.acks_failed() == 0 and len(acked) == len(load.sent)
    assert missing == 0 and doubled == 0
    assert percentile(latencies, 0.99) < MAX_DELIVERY_P99
    assert percentile(ack_latencies, 0.99) < MAX_DELIVERY_P99  # acks wait on the spool, not the database
    assert during[0] == 503
    assert recovery is not None
    assert figures["duplicates"] == 0 and figures["acked_missing"] == 0 and figures["phantoms"] == 0


def time_statement(proxy):
    """Seconds a fresh connection and a SELECT 1 take through the proxy."""
    import pymysql

    target = make_url(DATABASE_URL)
    started = time.monotonic()
    connection = pymysql.connect(host="127.0.0.1", port=proxy.port, user=target.username,
                                 password=target.password or "", connect_timeout=30, read_timeout=30)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()
    return round(time.monotonic() - started, 2)


def test_sigkill_mid_load(app, proxy, server, store):
    """SIGKILL master and worker while 8 customers send, the DB away so the spool holds the backlog:
    after a restart (same spool, same port) every acknowledged message is stored exactly once."""
    customers = customers_named(app, 8)
    tokens = tokens_for(app, customers + list(AGENTS))

    async def scenario():
        async with Load(server, tokens, customers) as load:
            agents = [load.peer("admin", reconnect=False)]
            senders = [load.peer(name, reconnect=False) for name in customers]
            await load.connect_all()
            stop = asyncio.Event()
            tasks = [asyncio.ensure_future(send_steadily(p, "admin", 8, stop, lambda: "carga")) for p in senders]
            await asyncio.sleep(2)
            proxy.cut("refuse")  # from here on, acknowledged means "in the spool" only
            await asyncio.sleep(2)
            await asyncio.to_thread(kill_hard, server)
            killed_at = time.monotonic()
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*tasks)
            return load, agents, killed_at

    load, agents, killed_at = asyncio.run(scenario())
    acked = load.acked_ok()
    in_spool = len(acked - {row.cid for row in store.rows()})
    spool_files = len(os.listdir(server.env["SOPORTE_SPOOL_DIR"]))
    proxy.restore()
    server.start()
    after = wait_ready(server)  # ready = the dead process's spool is replayed
    restarted = round(time.monotonic() - killed_at, 2)
    figures = store.check(load)
    delivered_not_stored = len({p["mensaje"] for a in agents for _, p, _ in a.received}
                               - {row.cid for row in store.rows()})
    report("SIGKILL mid-load", sent=len(load.sent), acked=len(acked), unacked=len(load.sent) - len(acked),
           acked_only_in_spool_at_kill=in_spool, spool_files_at_kill=spool_files,
           ready_after_kill_s=restarted, **figures,
           delivered_but_not_stored=delivered_not_stored, spool_depth_after=after["spool"]["depth"])
    assert in_spool > 0, "nothing was waiting in the spool: the replay was not exercised"
    assert figures["acked_missing"] == 0 and figures["duplicates"] == 0 and figures["phantoms"] == 0
    assert after["spool"]["depth"] == 0


def test_sigterm_under_load(app, proxy, server, store):
    """SIGTERM while 8 customers send: a clean exit within a few seconds, nothing acknowledged lost."""
    customers = customers_named(app, 8)
    tokens = tokens_for(app, customers + list(AGENTS))

    async def scenario():
        async with Load(server, tokens, customers) as load:
            senders = [load.peer(name, reconnect=False) for name in customers]
            await load.connect_all()
            stop = asyncio.Event()
            tasks = [asyncio.ensure_future(send_steadily(p, "admin", 8, stop, lambda: "carga")) for p in senders]
            await asyncio.sleep(3)
            started = time.monotonic()
            await asyncio.to_thread(server.stop)  # SIGTERM, then wait for the master to exit
            exit_s = round(time.monotonic() - started, 2)
            stop.set()
            await asyncio.gather(*tasks)
            return load, exit_s

    load, exit_s = asyncio.run(scenario())
    acked = load.acked_ok()
    stored_at_exit = len(acked & {row.cid for row in store.rows()})
    log, exit_code = server.log(), server.process.returncode
    server.start()
    after = wait_ready(server)
    figures = store.check(load)
    report("SIGTERM under load", exit_s=exit_s, exit_code=exit_code, sent=len(load.sent),
           acked=len(acked), refused=load.acks_failed(), no_ack=len(load.sent) - len(acked) - load.acks_failed(),
           acked_stored_at_exit=stored_at_exit,
           **figures, spool_depth_after=after["spool"]["depth"])
    assert exit_s < 5, "not a clean exit within gunicorn's graceful_timeout"
    assert exit_code == 0 and "soporte closed" in log and "SIGKILL" not in log
    assert figures["acked_missing"] == 0 and figures["duplicates"] == 0 and figures["phantoms"] == 0
    assert stored_at_exit == len(acked)  # the database was up: the flush stored everything
    assert after["spool"]["depth"] == 0


def test_500_clients_reconnect_after_restart(app, server, store):
    """500 sockets (20 agent, 480 customer tabs) reconnect at once after a restart and catch up over
    REST: for every socket and conversation, live + catch-up equals the stored set, no gap, no duplicate."""
    customers = customers_named(app, 40)
    tokens = tokens_for(app, customers + list(AGENTS))

    async def scenario():
        async with Load(server, tokens, customers) as load:
            agent_tabs = {name: [load.peer(name) for _ in range(10)] for name in AGENTS}
            customer_tabs = {name: [load.peer(name) for _ in range(12)] for name in customers}
            started = time.monotonic()
            await load.connect_all()
            connected_s = round(time.monotonic() - started, 2)
            for peer in load.peers:
                peer.catch_up_on_reconnect = True

            async def converse(tag):
                sends = [customer_tabs[c][0].send("admin", tag) for c in customers for _ in range(2)]
                sends += [agent_tabs[a][0].send(c, tag) for a in AGENTS for c in customers[:10]]
                await asyncio.gather(*sends)

            await converse("antes")
            await load.wait_for_acks(15)
            restarted_at = time.monotonic()
            await asyncio.to_thread(server.stop)
            stopped_s = round(time.monotonic() - restarted_at, 2)
            await asyncio.to_thread(server.start)
            restart_s = round(time.monotonic() - restarted_at, 2)
            # the first tabs back talk at once, while the rest are still reconnecting
            while not (customer_tabs[customers[0]][0].client.connected and agent_tabs["admin"][0].client.connected):
                await asyncio.sleep(0.05)
            senders = [customer_tabs[c][0] for c in customers] + [agent_tabs[a][0] for a in AGENTS]
            for peer in senders:
                while not peer.client.connected:
                    await asyncio.sleep(0.05)
            await converse("despues")
            deadline = time.monotonic() + 30
            while not all(p.client.connected for p in load.peers) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            reconnected_s = round(time.monotonic() - restarted_at, 2)
            await load.wait_for_acks(15)
            await asyncio.sleep(1)  # the last deliveries
            await asyncio.gather(*load.catch_ups)
            return load, connected_s, stopped_s, restart_s, reconnected_s

    load, connected_s, stopped_s, restart_s, reconnected_s = asyncio.run(scenario())
    acked = load.acked_ok()
    assert store.wait_for(acked, timeout=15) is not None
    rows = store.rows()
    stored = collections.defaultdict(set)
    for row in rows:
        stored[row.conversacion].add(row.id)
    gaps = extras = live_duplicates = caught_duplicates = 0
    for peer in load.peers:
        live = [(peer.conversation_of(p), i) for i, p, _ in peer.received]
        live_duplicates += len(live) - len(set(live))
        # one catch-up must not answer an id twice; two catch-ups of a socket that reconnected
        # twice may overlap (both ask from their own last-seen marks), as the page's do: it keeps one per id
        caught_duplicates += sum(len(caught) - len(set(caught)) for caught in peer.caught_per_catch_up)
        union = peer.seen() | set(peer.caught)
        for conversation in peer.conversations():
            mine = {i for c, i in union if c == conversation}
            gaps += len(stored[conversation] - mine)
            extras += len(mine - stored[conversation])
    figures = store.check(load)
    report("500 clients reconnect", sockets=len(load.peers), connect_all_s=connected_s,
           server_stop_s=stopped_s, server_stop_start_s=restart_s, all_reconnected_after_s=reconnected_s,
           reconnected=sum(p.connects > 1 for p in load.peers), catch_ups=len(load.catch_ups),
           sent=len(load.sent), acked=len(acked), events_received=sum(len(p.received) for p in load.peers),
           caught_up_messages=sum(len(p.caught) for p in load.peers), gaps=gaps, extras=extras,
           live_duplicates=live_duplicates, catch_up_duplicates=caught_duplicates, **figures)
    # a reconnect that lands while the new server is still starting may need another try:
    # every socket must come back, and every reconnect must catch up (no gap, no duplicate)
    assert all(p.connects >= 2 for p in load.peers), "not every socket reconnected"
    assert len(load.catch_ups) == sum(p.connects - 1 for p in load.peers)
    assert len(acked) == len(load.sent) and load.acks_failed() == 0
    assert gaps == 0 and extras == 0 and live_duplicates == 0 and caught_duplicates == 0
    assert figures["duplicates"] == 0 and figures["acked_missing"] == 0 and figures["phantoms"] == 0


def live_peer(server, token):
    """A python-socketio client on a real websocket, with the token in the auth payload (no database needed)."""
    client = socketio.SimpleClient()
    client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client


def received_texts(client):
    """The texts of the messages a SimpleClient received until it has been quiet half a second."""
    return [data["mensaje"] for event, data in drain(client) if event in ("mensaje_recibido", "mensaje_enviado")]


def test_retry_during_replay_gets_the_first_ack_and_is_delivered_once(app, proxy, server, store):
    """DB down: ana's cid is acknowledged from the spool (id A); kill -9; the new worker, still
    replaying, answers a retry of that cid with A and delivers nothing; once the DB is back the
    message is stored once, as A."""
    tokens = tokens_for(app, ["ana", "admin"])
    cid = f"ana-replay-{uuid.uuid4().hex[:12]}"
    message = {"para": "admin", "mensaje": cid, "cid": cid}
    proxy.cut("refuse")
    agent, ana = live_peer(server, tokens["admin"]), live_peer(server, tokens["ana"])
    first = ana.call("mensaje_privado", message, timeout=15)
    assert first["ok"] is True, first
    assert received_texts(agent) == [cid]
    kill_hard(server)

    server.start()
    assert readiness(server)[1]["writer"]["replaying"] is True
    agent, ana = live_peer(server, tokens["admin"]), live_peer(server, tokens["ana"])
    again = ana.call("mensaje_privado", message, timeout=15)
    delivered_again = received_texts(agent)
    replaying_after_retry = readiness(server)[1]["writer"]["replaying"]
    proxy.restore()
    wait_ready(server)
    stored = [(row.id, row.cid) for row in store.rows() if row.cid == cid]
    report("retry during replay", first_id=first["id"], retry=again, delivered_again=len(delivered_again),
           stored=stored)
    assert replaying_after_retry is True, "the retry came after the replay: it did not test the spool's acks"
    assert again == first
    assert delivered_again == []
    assert stored == [(first["id"], cid)]
