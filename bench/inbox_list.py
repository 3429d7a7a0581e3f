"""The agents' list at scale: 10,000 conversations and 1,000,000 messages on MariaDB.

    python bench/inbox_list.py                 # seeds once (kept in soporte_bench_list), then measures
    python bench/inbox_list.py --reseed        # seeds again
    SOPORTE_BENCH_DATABASE_URL=... python bench/inbox_list.py

Seeds through the writer's own store() (so every conversation's row, wait and cycle are
what production keeps), then times GET /api/conversaciones and its counts in-process (the
route's database and Python work, no network) for each view and order, and prints the
EXPLAIN of every statement one request runs.
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from soporte import create_app  # noqa: E402
from soporte.accounts.names import canonical_username  # noqa: E402
from soporte.extensions import db  # noqa: E402
from soporte.relay.writer import store  # noqa: E402

DB_URL = os.environ.get("SOPORTE_BENCH_DATABASE_URL",
                        "mysql+pymysql://root@127.0.0.1/soporte_bench_list?charset=utf8mb4")
SECRET = "bench-" + "x" * 40
CUSTOMERS, MESSAGES, AGENTS = 10_000, 1_000_000, 10
BATCH = 5_000
REQUESTS = 200


def seed(app):
    """Accounts, then messages in batches across all conversations; some resolved, some assigned."""
    from flask_migrate import downgrade, upgrade

    rng = random.Random(13)
    with app.app_context():
        try:
            downgrade(revision="base")
        except Exception:
            pass
        db.session.remove()
        upgrade()
        agents = [f"agente{i}" for i in range(AGENTS)]
        customers = [f"cliente{i:05d}" for i in range(CUSTOMERS)]
        accounts = [(a, "admin") for a in agents] + [(c, "user") for c in customers]
        db.session.execute(sa.insert(db.metadata.tables["usuarios"]), [
            {"usuario": u, "usuario_canonico": canonical_username(u), "nombre": u.capitalize(), "rol": r,
             "password_hash": "x", "supervisor": False, "activo": True} for u, r in accounts])
        db.session.commit()
        ids = app.extensions["soporte"].ids
        started, rows = time.monotonic(), []
        for n in range(MESSAGES):
            customer = customers[int(rng.paretovariate(1.2)) % CUSTOMERS] if n % 2 else rng.choice(customers)
            agent_writes = rng.random() < 0.45
            message_id, fecha = ids.next()
            author = rng.choice(agents) if agent_writes else customer
            rows.append({"id": message_id, "de_usuario": author, "para_usuario": "admin" if author == customer else customer,
                         "conversacion": customer, "mensaje": f"mensaje {n} de {author} " + "x" * rng.randint(5, 120),
                         "fecha": fecha, "cid": None})
            if len(rows) == BATCH:
                store(db.session, rows)
                db.session.commit()
                rows = []
                if n % 100_000 == BATCH - 1:
                    print(f"  {n + 1:,} messages stored ({time.monotonic() - started:.0f} s)", flush=True)
        conversaciones = db.metadata.tables["conversaciones"]
        for customer in customers:
            if rng.random() < 0.3:
                db.session.execute(conversaciones.update().where(conversaciones.c.usuario == customer)
                                   .values(estado="resuelta"))
            elif rng.random() < 0.6:
                db.session.execute(conversaciones.update().where(conversaciones.c.usuario == customer)
                                   .values(asignado=rng.choice(agents)))
        db.session.commit()
        print(f"seeded {MESSAGES:,} messages in {CUSTOMERS:,} conversations in {time.monotonic() - started:.0f} s")


def measure(app):
    """p50/p99 of each list request, and the EXPLAIN of its statements."""
    import jwt
    from datetime import datetime, timedelta, timezone

    client = app.test_client()
    now = datetime.now(timezone.utc)
    client.set_cookie("token", jwt.encode({"user": "agente3", "name": "agente3", "rol": "admin", "iat": now,
                                           "jti": "bench", "exp": now + timedelta(hours=1)}, SECRET, algorithm="HS256"))
    with app.app_context():
        middle = db.session.scalar(sa.text("SELECT ultimo_id FROM conversaciones ORDER BY ultimo_id LIMIT 1 OFFSET 5000"))
        wait_mid = db.session.scalar(sa.text("SELECT esperando_id FROM conversaciones WHERE esperando_id IS NOT NULL "
                                             "ORDER BY esperando_id LIMIT 1 OFFSET 1000"))
        counts = db.session.execute(sa.text("SELECT estado, COUNT(*), SUM(asignado IS NULL), "
                                            "SUM(esperando_id IS NOT NULL) FROM conversaciones GROUP BY estado")).all()
        print("conversations:", {e: {"total": t, "unassigned": int(u), "waiting": int(w)} for e, t, u, w in counts})
        print("messages:", db.session.scalar(sa.text("SELECT COUNT(*) FROM mensajes")))
    cases = {
        "open, all, latest activity": "?estado=abierta&limite=50",
        "open, mine": "?estado=abierta&vista=mias&limite=50",
        "open, unassigned": "?estado=abierta&vista=sin_asignar&limite=50",
        "open, longest waiting": "?estado=abierta&orden=espera&limite=50",
        "open, longest waiting, page 21": f"?estado=abierta&orden=espera&limite=50&esperando_despues={wait_mid}",
        "mine, longest waiting": "?estado=abierta&vista=mias&orden=espera&limite=50",
        "all statuses, page 101": f"?limite=50&antes={middle}",
        "counts (open)": None,
    }
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    print(f"\n{'request':34} {'p50 ms':>8} {'p99 ms':>8} {'rows':>5}")
    for name, query in cases.items():
        url = "/api/conversaciones/recuento?estado=abierta" if query is None else "/api/conversaciones" + query
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
        found = response.get_json()
        times.sort()
        print(f"{name:34} {statistics.median(times):8.2f} {times[int(len(times) * 0.99) - 1]:8.2f} "
              f"{len(found) if isinstance(found, list) else '-':>5}")
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", capture)
            statements.clear()
            client.get(url)
            sa.event.remove(db.engine, "before_cursor_execute", capture)
            case_statements = list(statements)
        explain(app, name, case_statements)


EXPLAINED = []


def explain(app, name, statements):
    """EXPLAIN each statement a request ran (kept to print after the table)."""
    with app.app_context():
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            with db.engine.connect() as conn:
                cursor = conn.connection.cursor()
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = cursor.fetchall()
            EXPLAINED.append((name, " ".join(statement.split())[:150], plan))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    # TESTING: no background tasks (the assigner, the writer's replay) beside what is measured
    app = create_app({"SQLALCHEMY_DATABASE_URI": DB_URL, "SECRET_KEY": SECRET, "JWT_SECRET": SECRET,
                      "ROLE_CACHE_TTL": 60.0, "TESTING": True})
    with app.app_context():
        engine = sa.create_engine(sa.engine.make_url(DB_URL).set(database=""))
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE DATABASE IF NOT EXISTS `{sa.engine.make_url(DB_URL).database}` "
                                 "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        seeded = sa.inspect(db.engine).has_table("conversaciones") and db.session.scalar(
            sa.text("SELECT COUNT(*) FROM mensajes")) >= MESSAGES
        db.session.remove()
    if args.reseed or not seeded:
        seed(app)
    measure(app)
    print("\nEXPLAIN (table, type, key, rows, Extra):")
    for name, statement, plan in EXPLAINED:
        print(f"- {name}: {statement}")
        for row in plan:
            print(f"    {row[2]:>14} {row[3]:>6} key={row[5]} rows={row[8]} {row[9] or ''}")


if __name__ == "__main__":
    main()
