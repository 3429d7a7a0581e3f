"""Health checks for load balancers and orchestrators: is the process alive, may it get traffic."""
import logging
import time

from flask import Blueprint, current_app, jsonify
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from soporte import redis_client
from soporte.config import redis_url
from soporte.extensions import db
from soporte.relay.chat import get_chat

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """Liveness: the process serves HTTP (the database is not asked)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Readiness: 200 when the database answers in time, the writer takes messages and ids have a node, else 503.

    Not ready while the spool that earlier runs left is being replayed either: until
    then, history would miss messages that were acknowledged before a crash. Redis is
    reported, not required: a blip must not take every process out of the balancer at
    once, and the node (which a Redis away for long loses) says whether messages can go.
    """
    chat = get_chat()
    writer = chat.writer
    database = check_database()
    node = chat.ids.node
    ready = database["ok"] and writer.accepting and not writer.replaying and node is not None
    body = {
        "status": "ready" if ready else "unavailable",
        "database": database,
        "redis": check_redis() if redis_url(current_app.config) else None,
        "node": node,
        "writer": {"backlog": writer.backlog, "stored": writer.stored,
                   "failures": writer.failures, "accepting": writer.accepting,
                   "replaying": writer.replaying},
        "spool": {"depth": writer.spool.depth()},
    }
    return jsonify(body), 200 if ready else 503


def check_database():
    """Run SELECT 1 on a fresh connection bounded by READY_TIMEOUT; {"ok", "ms"[, "error"]}."""
    started = time.monotonic()
    try:
        with probe_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not ready"; the details go to the log
        log.warning("readyz: database check failed: %s", error)
        return {"ok": False, "error": describe(error), "ms": elapsed_ms(started)}
    return {"ok": True, "ms": elapsed_ms(started)}


def check_redis():
    """PING the shared Redis, bounded by READY_TIMEOUT; {"ok", "ms"[, "error"]}."""
    started = time.monotonic()
    try:
        probe_redis().ping()
    except Exception as error:  # refused, timed out, or an error reply: not reachable
        log.warning("readyz: Redis check failed: %s", error)
        return {"ok": False, "error": describe(error), "ms": elapsed_ms(started)}
    return {"ok": True, "ms": elapsed_ms(started)}


def probe_redis():
    """A Redis client of the probe's own, with READY_TIMEOUT to connect and to answer."""
    client = current_app.extensions.get("soporte.readyz.redis")
    if client is None:
        client = redis_client.connect(redis_url(current_app.config), timeout=current_app.config["READY_TIMEOUT"])
        current_app.extensions["soporte.readyz.redis"] = client
    return client


def probe_engine():
    """An engine of its own with short timeouts, so a dead or stalled database answers in time.

    Not the app's pool: a probe must not wait behind (or hold) the writer's connections.
    """
    engine = current_app.extensions.get("soporte.readyz")
    if engine is None:
        uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
        if uri.startswith("mysql"):
            timeout = current_app.config["READY_TIMEOUT"]
            connect_args = dict(current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}))
            connect_args.update(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)
            engine = create_engine(uri, poolclass=NullPool, connect_args=connect_args)
        else:  # a local file: nothing to wait for on the network
            engine = db.engine
        current_app.extensions["soporte.readyz"] = engine
    return engine


def describe(error):
    """A short, safe description of a database or Redis error: the driver's class and code, no addresses."""
    cause = getattr(error, "orig", None) or error
    code = cause.args[0] if cause.args and isinstance(cause.args[0], int) else None
    return type(cause).__name__ + (f" {code}" if code is not None else "")


def elapsed_ms(started):
    return round((time.monotonic() - started) * 1000, 1)
