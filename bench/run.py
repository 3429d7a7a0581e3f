"""soporte's benchmark: a real server (gunicorn + eventlet, MariaDB) driven over real websockets.

    python bench/run.py                      # every scenario, one process
    python bench/run.py --scenario load --rates 1000,2000 --processes 2
    python bench/run.py --scenario load --rates 500,1000 --original   # and the original design
    python bench/run.py --scenario load --rates 1000,4000 --bare      # and python-socketio alone

Prints a table per scenario and writes everything to bench/results/<time>.json.
The load generator is the official socket.io client in Node (bench/loadgen.js).
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SECRET = "bench-" + "x" * 40
DB_URL = os.environ.get("SOPORTE_BENCH_DATABASE_URL",
                        "mysql+pymysql://root@127.0.0.1/soporte_bench?charset=utf8mb4")
REDIS_URL = os.environ.get("SOPORTE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(user, rol):
    now = datetime.now(timezone.utc)
    return jwt.encode({"user": user, "name": user, "rol": rol, "iat": now, "jti": uuid.uuid4().hex,
                       "exp": now + timedelta(hours=6)}, SECRET, algorithm="HS256")


def add_accounts(engine, names, rol="user"):
    """Insert accounts in bulk (one shared password hash: seeding is not what is measured)."""
    from soporte.accounts.names import canonical_username
    from soporte.extensions import db

    with engine.begin() as conn:
        conn.execute(sa.insert(db.metadata.tables["usuarios"]),
                     [{"usuario": u, "usuario_canonico": canonical_username(u), "nombre": u, "rol": rol,
                       "password_hash": "x"} for u in names])


def reset_database(users, agents):
    """An empty bench database with the accounts (one shared password hash: seeding is not measured)."""
    from werkzeug.security import generate_password_hash

    url = sa.engine.make_url(DB_URL)
    server = sa.create_engine(url.set(database=""))
    with server.begin() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{url.database}`"))
        conn.execute(sa.text(f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    server.dispose()
    from soporte.accounts.names import canonical_username
    from soporte.extensions import db
    from soporte.models import Usuario  # noqa: F401  (registers the tables for the inserts below)

    # the schema as production gets it: the migrations
    subprocess.run([sys.executable, "-m", "flask", "--app", "soporte", "db", "upgrade"], check=True,
                   cwd=ROOT, capture_output=True,
                   env={**os.environ, "SOPORTE_SQLALCHEMY_DATABASE_URI": DB_URL,
                        "SOPORTE_SECRET_KEY": SECRET, "SOPORTE_JWT_SECRET": SECRET})
    engine = sa.create_engine(DB_URL)
    pw = generate_password_hash("bench-password", method="scrypt")
    with engine.begin() as conn:
        conn.execute(sa.insert(db.metadata.tables["usuarios"]),
                     [{"usuario": u, "usuario_canonico": canonical_username(u), "nombre": u, "rol": "user",
                       "password_hash": pw} for u in users]
                     + [{"usuario": a, "usuario_canonico": canonical_username(a), "nombre": a, "rol": "admin",
                         "password_hash": pw} for a in agents])
    return engine


def process_figures(pid):
    """(rss bytes, cpu seconds) of one process; (0, 0) once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0, 0.0
    return int(stat[21]) * os.sysconf("SC_PAGE_SIZE"), (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class Process:
    """A server under test: its url, the process to sample, the table it stores messages in."""

    table = "mensajes"

    def wait_ready(self):
        """Wait until the server answers on its port (20 s at most)."""
        import urllib.request

        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/login", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"{self.url} did not answer: see {self.log.name}")

    def _worker_pid(self):
        """gunicorn's worker (the master's child), or the process itself when it has none."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(children[0]) if children else self.proc.pid

    def sample(self):
        """(rss bytes, cpu seconds) of the worker process, its CPU with its children's (soporte's storer process)."""
        rss, cpu = process_figures(self.worker)
        children = Path(f"/proc/{self.worker}/task/{self.worker}/children").read_text().split()
        return rss, cpu + sum(process_figures(int(child))[1] for child in children)

    def backlog(self):
        """Messages accepted, not yet stored (None: the server does not say)."""
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Server(Process):
    """One soporte process: gunicorn, one worker of SOPORTE_ASYNC_MODE's class (eventlet unless given)."""

    def __init__(self, node_id, spool, extra_env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SOPORTE_SECRET_KEY": SECRET, "SOPORTE_JWT_SECRET": SECRET,
               "SOPORTE_SQLALCHEMY_DATABASE_URI": DB_URL, "SOPORTE_NODE_ID": str(node_id),
               "SOPORTE_SPOOL_DIR": spool, "SOPORTE_MESSAGE_RATE": "1000000",
               "SOPORTE_MESSAGE_BURST": "1000000", **(extra_env or {})}
        self.log = open(Path(spool).parent / f"server-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", env.get("SOPORTE_ASYNC_MODE", "eventlet"), "-w", "1", "--worker-connections", "20000",
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()
        self.worker = self._worker_pid()

    def backlog(self):
        return self.readyz()["writer"]["backlog"]

    def readyz(self):
        """The server's own figures (writer backlog, spool depth), whatever its status code."""
        import urllib.error
        import urllib.request

        try:
            return json.load(urllib.request.urlopen(self.url + "/readyz", timeout=10))
        except urllib.error.HTTPError as answer:  # 503: still has the figures
            return json.load(answer)


class Original(Process):
    """The original's design for comparison (bench/original/server.js): one Node process."""

    table = "mensajes_original"

    def __init__(self, work, engine):
        npm_ci(BENCH / "original", "socket.io")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = sa.engine.make_url(DB_URL).set(drivername="mysql", query={})
        env = {**os.environ, "PORT": str(self.port), "JWT_SECRET": SECRET, "INBOX": "admin",
               "DATABASE_URL": database.render_as_string(hide_password=False)}
        self.log = open(Path(work) / f"original-{self.port}.log", "wb")
        self.proc = subprocess.Popen(["node", str(BENCH / "original" / "server.js")], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.worker = self.proc.pid
        self.wait_ready()  # it creates its table before it listens
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE TABLE {self.table}"))


class BareRelay(Process):
    """python-socketio alone relaying the hot event (bench/bare_relay.py): the library stack's floor."""

    table = None  # it stores nothing

    def __init__(self, work):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(work) / f"bare-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "eventlet", "-w", "1", "--worker-connections", "20000",
             "-b", f"127.0.0.1:{self.port}", "bare_relay:app"], cwd=BENCH,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()
        self.worker = self._worker_pid()


def npm_ci(folder, module):
    """Install `folder`'s Node packages from its package-lock.json unless `module` is there."""
    if not (folder / "node_modules" / module).exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, check=True)


def loadgen(config, on_line=None):
    """Run the Node load generator; return its result line (on_line sees the others)."""
    npm_ci(BENCH, "socket.io-client")
    proc = subprocess.Popen(["node", str(BENCH / "loadgen.js")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(json.dumps(config))
    proc.stdin.close()
    result = None
    for line in proc.stdout:
        message = json.loads(line)
        if message["event"] == "result":
            result = message
        elif on_line:
            on_line(message)
    if proc.wait() or result is None:
        raise RuntimeError(proc.stderr.read())
    return result


def count_rows(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar()


def run_load(servers, engine, rate, seconds, tokens, profile=None):
    """One open-loop step against `servers` (soporte's or the original): delivery, latency, storage, resources.

    profile: (seconds, path) to record the first server's worker with py-spy from "sending".
    """
    table = servers[0].table
    stores = table is not None  # the bare relay stores nothing
    rows0 = count_rows(engine, table) if stores else 0
    t0 = time.monotonic()
    marks, spies = {}, []  # event -> (time, cpu seconds of each server process)

    def mark(message):
        marks[message["event"]] = (time.monotonic(), [s.sample()[1] for s in servers])
        if message["event"] == "sending" and profile:
            spies.append(py_spy(servers[0].worker, *profile))

    # agents on the first process; customers spread over all of them
    config = {"url": servers[0].url, "rate": rate, "seconds": seconds, **tokens}
    if len(servers) > 1:
        config["userUrls"] = [s.url for s in servers]
    result = loadgen(config, on_line=mark)
    mark({"event": "drained"})
    (t_sending, cpu_sending), (t_sent, cpu_sent), (t_end, cpu_end) = (
        marks[e] for e in ("sending", "sent", "drained"))
    backlog = [s.backlog() for s in servers]  # accepted, not yet stored
    rows_end = count_rows(engine, table) if stores else 0
    # storage keeps going after the send window: measure when it caught up
    deadline = time.monotonic() + (30 if stores else 0)
    rows = rows_end - rows0
    while rows < result["acked"] and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = count_rows(engine, table) - rows0
    caught_up = time.monotonic()
    samples1 = [s.sample() for s in servers]
    result.update(
        rows_stored=rows if stores else None,
        stored_within_s=caught_up - t_sent if stores and rows >= result["acked"] else None,
        rows_per_s_in_window=(rows_end - rows0) / (t_end - t0) if stores else None,
        rows_per_s_to_catch_up=rows / (caught_up - t0) if stores else None,
        backlog_at_end=None if None in backlog else sum(backlog),
        server_rss_mb=[round(s[0] / 2**20) for s in samples1],
        # over the send window; per message: from "sending" to the end of the tail, every process
        server_cpu_pct=[round((b - a) / (t_sent - t_sending) * 100) for a, b in zip(cpu_sending, cpu_sent)],
        cpu_us_per_msg=(sum(cpu_end) - sum(cpu_sending)) / max(result["delivered_copies"], 1) * 1e6,
    )
    for spy in spies:  # done before the next step starts
        print(f"py-spy failed: {spy.stderr.read().strip()}" if spy.wait() else f"profile: {profile[1]}", flush=True)
    return result


def py_spy(pid, seconds, path):
    """Start py-spy recording process `pid` for `seconds` into `path` (speedscope), without pausing it."""
    exe = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(exe) if exe.exists() else "py-spy", "record", "-p", str(pid), "-d", str(seconds),
                             "-r", "250", "--format", "speedscope", "-o", str(path), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_step(servers, others, engine, rate, seconds, tokens, profile=None):
    """soporte's step at `rate`, then each of `others` (name -> server: the original, the bare relay) with the ratios."""
    r = run_load(servers, engine, rate, seconds, tokens, profile)
    print(format_row(r, "soporte"), flush=True)
    for name, other in others.items():
        o = r[name] = run_load([other], engine, rate, seconds, tokens)
        vs = r[f"vs_{name}"] = {key: ratio(r[key], o[key]) for key in ("p99", "cpu_us_per_msg")}
        print(format_row(o, name) + f"  ratio p99 {dash(vs['p99'], '.2f')}  "
              f"cpu µs/msg {dash(vs['cpu_us_per_msg'], '.2f')}", flush=True)
    return r


def ratio(a, b):
    """a / b, or None when either is missing or b is 0."""
    return a / b if a is not None and b else None


def run_sustained(step, start=1000, increment=250):
    """The highest offered rate with everything delivered and stored, no backlog, p99 <= 50 ms."""
    best, rate, steps = None, start, []
    while rate <= 20000:
        r = step(rate)
        steps.append(r)
        ok = (r["delivered_copies"] == r["expected_copies"] and r["acked"] == r["sent"]
              and r["backlog_at_end"] <= rate * 0.5 and r["p99"] <= 50
              and r["rows_stored"] == r["acked"])
        if not ok:
            break
        best, rate = rate, rate + increment
    return {"sustained_msg_per_s": best, "steps": steps}


def run_idle(server, engine, count, hold=5):
    """Connection capacity: `count` idle authenticated sockets in one process."""
    names = [f"idle{i:05d}" for i in range(count)]
    add_accounts(engine, names)
    tokens = [token(name, "user") for name in names]
    rss0 = server.sample()[0]
    seen = {}

    def connected(message):
        time.sleep(3)  # idle sockets park after a second without a frame (soporte/realtime/parking.py)
        seen.update(message, rss_mb=round(server.sample()[0] / 2**20))

    result = loadgen({"mode": "idle", "url": server.url, "userTokens": tokens, "agentTokens": [],
                      "seconds": hold}, on_line=connected)
    return {"sockets": result["sockets"], "connect_s": round(result["connect_ms"] / 1000, 1),
            "rss_mb": seen.get("rss_mb"), "rss_before_mb": round(rss0 / 2**20)}


def run_writer(rate, seconds, spool):
    """Rows/s the writer stores when offered more than the sockets can carry (bench/writer.py)."""
    done = subprocess.run([sys.executable, str(BENCH / "writer.py"), str(rate), str(seconds), DB_URL, spool],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed_messages(engine, total, conversations, agent="admin"):
    """Fill `mensajes` quickly: `total` rows over `conversations` customers, over the last 90 days.

    Spread in time like a real history (ids and fechas follow), not all in the last
    minute: what a server reads for "recent activity" depends on it.
    """
    from soporte.relay.ids import SEQUENCE_BITS, first_id_at

    start = datetime.now(timezone.utc) - timedelta(days=90)
    step = timedelta(days=90) / total
    table = sa.table("mensajes", *(sa.column(c) for c in
                     ("id", "de_usuario", "para_usuario", "conversacion", "mensaje", "fecha", "cid")))
    batch = []
    with engine.begin() as conn:
        for n in range(total):
            customer = f"c{n % conversations:05d}"
            from_customer = n % 3 != 2
            moment = start + n * step
            message_id = first_id_at(moment) | (31 << SEQUENCE_BITS) | (n % (1 << SEQUENCE_BITS))
            fecha = moment.replace(tzinfo=None)
            batch.append({"id": message_id, "de_usuario": customer if from_customer else agent,
                          "para_usuario": agent if from_customer else customer,
                          "conversacion": customer, "mensaje": f"mensaje de prueba número {n}",
                          "fecha": fecha, "cid": None})
            if len(batch) == 20000:
                conn.execute(sa.insert(table), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(table), batch)
        # what the writer keeps per batch, in one statement (as migration 0002 backfills it)
        conn.execute(sa.text("INSERT INTO conversaciones (usuario, ultimo_id, estado) "
                             "SELECT conversacion, MAX(id), 'abierta' FROM mensajes GROUP BY conversacion"))
        # InnoDB refreshes statistics in the background after bulk changes; do it now
        # so the plans measured are the ones a settled server uses
        conn.execute(sa.text("ANALYZE TABLE mensajes, conversaciones"))


def run_rest(server, engine, total, conversations, requests_per_route=500):
    """p50/p99 of the three REST routes on a database holding `total` messages."""
    import random
    import urllib.request

    t0 = time.monotonic()
    add_accounts(engine, [f"c{i:05d}" for i in range(conversations)])
    seed_messages(engine, total, conversations)
    seeded = time.monotonic() - t0
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", f"token={token('admin', 'admin')}")]
    customer = token("c00042", "user")
    routes = {
        "/api/mensajes?con=": lambda: f"/api/mensajes?con=c{random.randrange(conversations):05d}",
        "/api/mensajes/mios": lambda: "/api/mensajes/mios",
        "/api/usuarios-conversaciones": lambda: "/api/usuarios-conversaciones",
    }
    results = {"messages": total, "conversations": conversations, "seed_s": round(seeded, 1)}
    for name, path in routes.items():
        times = []
        for _ in range(requests_per_route):
            req = urllib.request.Request(server.url + path())
            if name == "/api/mensajes/mios":
                req.add_header("Cookie", f"token={customer}")
            start = time.perf_counter()
            body = (opener if name != "/api/mensajes/mios" else urllib.request.build_opener()).open(req).read()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        results[name] = {"p50_ms": round(times[len(times) // 2], 2),
                         "p99_ms": round(times[int(len(times) * 0.99)], 2), "bytes": len(body)}
    results["explain"] = explain(engine)
    return results


def explain(engine):
    """The plans of the three routes' queries (they must use the conversation index)."""
    queries = {
        "mensajes": "SELECT * FROM mensajes WHERE conversacion = 'c00042' ORDER BY id DESC LIMIT 100",
        "antes": "SELECT * FROM mensajes WHERE conversacion = 'c00042' AND id < 9007199254740991 ORDER BY id DESC LIMIT 100",
        "conversaciones": "SELECT usuario, ultimo_id FROM conversaciones ORDER BY ultimo_id DESC",
    }
    with engine.connect() as conn:
        return {name: [dict(row._mapping) for row in conn.execute(sa.text("EXPLAIN " + q))]
                for name, q in queries.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="all", choices=["all", "load", "sustained", "idle", "rest", "writer"])
    parser.add_argument("--idle-sockets", type=int, default=10000)
    parser.add_argument("--rest-messages", type=int, default=1_000_000)
    parser.add_argument("--rest-conversations", type=int, default=10_000)
    parser.add_argument("--rates", default="1000,2000,4000,8000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--redis", action="store_true",
                        help="Socket.IO over Redis with one process too (what Redis adds to a process's CPU)")
    parser.add_argument("--writer-rate", type=int, default=20000, help="rows/s offered to the writer alone")
    parser.add_argument("--original", action="store_true",
                        help="run each load step against the original design too (bench/original) and compare")
    parser.add_argument("--bare", action="store_true",
                        help="run each load step against python-socketio alone too (bench/bare_relay.py) and compare")
    parser.add_argument("--async-mode", default="eventlet", choices=["eventlet", "gevent"],
                        help="SOPORTE_ASYNC_MODE and gunicorn's worker class")
    parser.add_argument("--profile", type=int, metavar="SECONDS",
                        help="record the first server's worker with py-spy for SECONDS from each step's send window")
    parser.add_argument("--stalls", type=float, default=0,
                        help="log event-loop stalls longer than this many ms (STALL_LOG_MS) and summarise them")
    args = parser.parse_args()
    users = [f"u{i:05d}" for i in range(args.users)]
    agents = ["admin"] + [f"agente{i}" for i in range(1, args.agents)]
    engine = reset_database(users, agents)
    work = Path(tempfile.mkdtemp(prefix="soporte-bench-"))
    extra = {"SOPORTE_ASYNC_MODE": args.async_mode}
    if args.processes > 1 or args.redis:
        extra["SOPORTE_SOCKETIO_MESSAGE_QUEUE"] = REDIS_URL
    if args.stalls:
        extra["SOPORTE_STALL_LOG_MS"] = str(args.stalls)
    servers = [Server(i, str(work / f"spool{i}"), extra) for i in range(args.processes)]
    results = {"processes": args.processes, "async_mode": args.async_mode, "load": []}
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    (BENCH / "results").mkdir(exist_ok=True)
    wanted = lambda name: args.scenario in ("all", name)  # noqa: E731
    tokens = {"agentTokens": [token(a, "admin") for a in agents], "userTokens": [token(u, "user") for u in users]}
    others = {}  # name -> a server each step runs against too
    try:
        if args.original:
            others["original"] = Original(work, engine)
        if args.bare:
            others["bare"] = BareRelay(work)

        def step(rate, name=""):
            """One step at `rate`; profiled (if asked) into bench/results/<stamp>-profile-<name><rate>.json."""
            path = BENCH / "results" / f"{stamp}-profile-{name}{rate}.json"
            profile = (args.profile, path) if args.profile else None
            return run_step(servers, others, engine, rate, args.seconds, tokens, profile)

        if wanted("load"):
            print("== open-loop load", flush=True)
            for rate in [int(r) for r in args.rates.split(",")]:
                results["load"].append(step(rate))
        if wanted("sustained"):
            print("== highest sustained rate", flush=True)
            results["sustained"] = run_sustained(lambda rate: step(rate, "sustained-"))
            print(f"sustained: {results['sustained']['sustained_msg_per_s']} msg/s", flush=True)
        if wanted("idle") and args.processes == 1:
            print("== idle sockets", flush=True)
            results["idle"] = run_idle(servers[0], engine, args.idle_sockets)
            print(results["idle"], flush=True)
        if wanted("writer") and args.processes == 1:
            print("== writer alone (no sockets)", flush=True)
            results["writer"] = run_writer(args.writer_rate, args.seconds, str(work / "writer-spool"))
            print(results["writer"], flush=True)
        if wanted("rest") and args.processes == 1:
            print("== REST", flush=True)
            results["rest"] = run_rest(servers[0], engine, args.rest_messages, args.rest_conversations)
            for name, figures in results["rest"].items():
                if name.startswith("/api"):
                    print(f"{name:32} p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms", flush=True)
            for name, plan in results["rest"]["explain"].items():
                print(f"EXPLAIN {name}: " + "; ".join(
                    f"{p.get('table')} {p.get('type')} key={p.get('key')} rows={p.get('rows')} {p.get('Extra') or ''}"
                    for p in plan), flush=True)
    finally:
        for s in servers + list(others.values()):
            s.stop()
    if args.stalls:
        results["stalls"] = summarise_stalls(work)
        st = results["stalls"]
        print(f"== event-loop stalls over {args.stalls:g} ms: {st['count']}, the longest {st['longest_ms']:.0f} ms")
        for title, key in (("innermost frame", "innermost"), ("innermost soporte frame", "innermost_soporte")):
            print(f"  {title}: " + ", ".join(f"{where} x{n}" for where, n in st[key]), flush=True)
    out = BENCH / "results" / f"{stamp}-p{args.processes}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")
    if not os.environ.get("SOPORTE_BENCH_KEEP"):
        shutil.rmtree(work, ignore_errors=True)


def summarise_stalls(work):
    """What the servers' logs say held their event loops: how many stalls, the longest, where (innermost frames)."""
    stalls, where, ours = [], collections.Counter(), collections.Counter()
    for log in work.glob("server-*.log"):
        text = log.read_text(errors="replace")
        stalls += [float(ms) for ms in re.findall(r"event loop stall ended after (\d+) ms", text)]
        for stack in re.split(r"event loop held for ", text)[1:]:
            frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', stack.split("event loop stall ended")[0])
            if frames:
                where[f"{frames[-1][0].rsplit('/', 2)[-2:][-1]}:{frames[-1][2]}"] += 1
                own = [f for f in frames if "/soporte/" in f[0] and not f[0].endswith("stalls.py")]
                ours[f"{own[-1][0].split('/soporte/')[-1]}:{own[-1][1]} {own[-1][2]}" if own else "(none)"] += 1
    return {"count": len(stalls), "longest_ms": max(stalls, default=0),
            "innermost": where.most_common(10), "innermost_soporte": ours.most_common(10)}


def dash(value, spec):
    """`value` formatted, or "-" for None."""
    return "-" if value is None else format(value, spec)


def format_row(r, name):
    return (f"{name:8}  offered {r['offered']:>6}/s  delivered {r['delivered_per_s']:>7.0f}/s  "
            f"p50 {r['p50']:.1f}  p90 {r['p90']:.1f}  p99 {r['p99']:.1f}  max {r['max']:.0f} ms  "
            f"stored {dash(r['rows_per_s_in_window'], '.0f'):>6}/s within {dash(r['stored_within_s'], '.1f'):>4} s  "
            f"backlog {dash(r['backlog_at_end'], 'd'):>6}  "
            f"rss {r['server_rss_mb']} MB  cpu {r['server_cpu_pct']}%  cpu µs/msg {r['cpu_us_per_msg']:>4.0f}  "
            f"loadgen cpu {r['loadgen_cpu_pct']:.0f}%  "
            f"refused {r['refused']}")


if __name__ == "__main__":
    main()
