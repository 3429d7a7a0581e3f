"""The operations page for agents: this process's sockets, rooms, writer and message rate.

Every figure is this process's own. With a Redis message queue each process
answers for itself (its "nodo" says which), and the JSON adds "procesos": the
latest figures that every process sharing that Redis published (operations_redis).
"""
import os
import socket
import time
from datetime import datetime, timezone

from flask import Blueprint, current_app, g, jsonify, render_template
from redis import RedisError

from soporte.config import redis_url
from soporte.extensions import socketio
from soporte.mail import outbox
from soporte.models import iso_utc
from soporte.ops.fleet import Fleet
from soporte.realtime.sessions import get_sessions
from soporte.relay.chat import get_chat
from soporte.web.auth import admin_required

MINUTES = 15  # the message-rate history the page and the JSON show

bp = Blueprint("operaciones", __name__)


class MinuteCounter:
    """Messages per minute over the last MINUTES minutes: a ring of minute buckets.

    hit() is on the relay's hot path: an integer increment, no lock and no I/O.
    Without a lock, two threads crossing a minute boundary at once could lose a
    count; under eventlet (production) nothing runs between those lines, and a
    monitoring figure can afford that under threading.
    """

    def __init__(self, minutes=MINUTES, clock=time.time):
        self.clock = clock
        self._minute = [-1] * minutes  # which minute (since the epoch) each bucket holds
        self._count = [0] * minutes

    def hit(self):
        """Count one message in the current minute."""
        minute = int(self.clock()) // 60
        i = minute % len(self._count)
        if self._minute[i] != minute:  # the bucket holds a minute that has gone by
            self._minute[i] = minute
            self._count[i] = 0
        self._count[i] += 1

    def last(self):
        """Counts for the last MINUTES minutes, oldest first, the current minute last."""
        now = int(self.clock()) // 60
        size = len(self._count)
        return [self._count[m % size] if self._minute[m % size] == m else 0
                for m in range(now - size + 1, now + 1)]


class Operations:
    """The per-app figures that are not kept elsewhere: the message rate and the start time."""

    def __init__(self, fleet=None):
        self.messages = MinuteCounter()
        self.started = datetime.now(timezone.utc).replace(tzinfo=None)
        self.fleet = fleet  # with Redis: every process's figures


def get_operations(app=None):
    """The Operations of an app (the current one by default)."""
    return (app or current_app).extensions["soporte.operaciones"]


def count_message():
    """Count a relayed message (called by relay.delivery, once per delivered message)."""
    current_app.extensions["soporte.operaciones"].messages.hit()


def copy_of(mapping, attempts=3):
    """A copy of one of Socket.IO's room maps, which sockets change meanwhile.

    Under eventlet nothing runs while it is copied; under threading (`flask run`) a
    connect or disconnect may, and the copy is tried again.
    """
    for _ in range(attempts - 1):
        try:
            return dict(mapping)
        except RuntimeError:  # "changed size during iteration"
            continue
    return dict(mapping)


def rooms_summary():
    """This process's Socket.IO rooms with their socket counts, per-socket rooms left out.

    Rooms named `kind:<something>` (user:<name>, token:<jti>, ...) are summed up per
    kind as "kind:*" with how many rooms there are: one line per account or login
    would make the table as long as the user list and leak every name to the page.
    """
    rooms = copy_of(socketio.server.manager.rooms.get("/", {}))
    everyone = copy_of(rooms.pop(None, {}))
    named, kinds = {}, {}
    for name, members in rooms.items():
        if name in everyone or not members:  # a socket's own room, or an emptied one
            continue
        kind, sep, _ = str(name).partition(":")
        if sep:
            summary = kinds.setdefault(kind + ":*", {"sala": kind + ":*", "salas": 0, "sockets": 0})
            summary["salas"] += 1
            summary["sockets"] += len(members)  # len() of a live room: no iteration
        else:
            named[name] = {"sala": name, "salas": 1, "sockets": len(members)}
    return sorted(named.values(), key=lambda r: r["sala"]) + sorted(kinds.values(), key=lambda r: r["sala"])


def figures():
    """Everything GET /api/operaciones answers, for this process."""
    manager = socketio.server.manager
    sessions = get_sessions()
    chat = get_chat()
    writer = chat.writer
    everyone = list(copy_of(manager.rooms.get("/", {}).get(None, {})))
    users = {u.user for u in map(sessions.get, everyone) if u}
    agents = {u.user for u in map(sessions.get, everyone) if u and u.rol == "admin"}
    return {
        "nodo": chat.ids.node,
        "proceso": {"host": socket.gethostname(), "pid": os.getpid()},
        "cola_redis": bool(current_app.config["SOCKETIO_MESSAGE_QUEUE"]),
        "sockets": len(everyone),
        "usuarios_conectados": len(users),
        "agentes_conectados": len(agents),
        "salas": rooms_summary(),
        "escritor": {"pendientes": writer.backlog, "spool_segmentos": writer.spool.depth(),
                     "almacenados": writer.stored, "fallos": writer.failures,
                     "aceptando": writer.accepting},
        "mensajes_por_minuto": get_operations().messages.last(),
        "arranque": iso_utc(get_operations().started),
    }


@bp.route("/operaciones")
@admin_required
def pagina():
    """The operations page (agents only); its script refreshes the figures from the JSON."""
    return render_template("operaciones.html", usuario=g.usuario, started=get_operations().started,
                           refresh_ms=current_app.config["OPERATIONS_REFRESH_MS"])


@bp.route("/api/operaciones")
@admin_required
def datos():
    """This process's figures as JSON (and every process's, with Redis), for the page and monitoring."""
    body = figures()
    body["correo"] = outbox.figures()  # the shared outbox: the same on every process, so not in the fleet's figures
    fleet = get_operations().fleet
    if fleet is not None:
        try:
            fleet.publish(body)  # this process's own line is never stale
            body["procesos"] = fleet.processes()
        except RedisError:
            current_app.logger.warning("operations: Redis unavailable", exc_info=True)
            body["procesos"] = None  # unknown, not empty
    return jsonify(body)


def init_app(app, serving):
    """Give the app its figures and the page; a serving process also publishes its figures to the fleet."""
    shared = redis_url(app.config)
    fleet = (Fleet(shared, app.config["SOCKETIO_CHANNEL"], interval=app.config["OPERATIONS_PUBLISH_SECONDS"])
             if shared else None)
    app.extensions["soporte.operaciones"] = Operations(fleet)
    app.register_blueprint(bp)
    if fleet is not None and serving:
        fleet.start(app, figures)
