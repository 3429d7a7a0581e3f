"""Who owns each conversation: taken or given by agents (asignar_conversacion), or by the automatic assigner.

A conversation has at most one assignee (conversaciones.asignado). A change names the
assignee its sender saw (`antes`) and is stored only if that is still the one: of two agents
taking the same conversation at once, exactly one gets it, on any number of processes.
Every change reaches every agent as `asignacion` (emitter.announce_assignment).

The assigner (one background task per serving process, enabled by AUTO_ASSIGN) gives
unassigned open conversations, longest waiting first, to the online agent with the fewest
open ones, up to AGENT_CAPACITY each. It wakes when this process stores a new or reopened
conversation, sees an agent come online or a conversation leave someone's hands, and every
ASSIGN_INTERVAL anyway (what other processes saw). With Redis, one process assigns at a
time (a lock), so capacity holds across processes. Independently of AUTO_ASSIGN, the sweep
returns to the pool the open conversations of an assignee offline for OFFLINE_RELEASE_AFTER
(the time is kept in usuarios.ausente_desde, so it survives restarts). Both follow the business
hours (soporte/hours): nothing is assigned while support is closed, and only open time counts
towards OFFLINE_RELEASE_AFTER.
"""
import logging
import time
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select, update

from soporte import redis_client
from soporte.background import every
from soporte.config import redis_url
from soporte.extensions import db
from soporte.hours import rules, storage as hours
from soporte.models import Ciclo, Conversacion, Usuario, utc_now
from soporte.presence.online import get_presence
from soporte.protocol import TOO_MANY, Invalid, refused
from soporte.realtime import emitter
from soporte.redis_lock import RedisLock
from soporte.relay.chat import get_chat

log = logging.getLogger(__name__)
ANY = object()  # a change that does not check who held the conversation before
NOT_AN_AGENT = "{agente} no es un agente activo"
TAKEN = "La conversación ya está asignada a otro agente"
NOT_STORED_YET = "La conversación aún se está guardando; inténtalo en un momento"
LOCK_MS = 10_000  # the assigners' Redis lock outlives a killed holder by this much at most
WAKE_POLL = 0.1  # seconds between the assigner's looks at its wake flag


def on_asignar(sender, data):
    """An agent takes a conversation, gives it to another agent, or returns it to the pool (agente null)."""
    con, agente, antes = parse_assignment(data)
    if not sender.bucket.take():  # the socket's message allowance: each change is a database write
        raise Invalid(TOO_MANY)
    if agente is not None and not is_active_agent(agente):
        raise Invalid(NOT_AN_AGENT.format(agente=agente))
    outcome = assign(con, agente, sender.user, expected=antes)
    if outcome is None:
        return refused(NOT_STORED_YET if get_chat().writer.pending_rows(con) else f"No hay ninguna conversación con {con}")
    changed, asignado = outcome
    if not changed:
        return {**refused(TAKEN), "asignado": asignado}
    return {"ok": True, "asignado": asignado}


def parse_assignment(data):
    """(con, agente, antes) from an asignar_conversacion payload; antes is ANY when not given."""
    if not isinstance(data, dict):
        raise Invalid("La asignación debe ser un objeto {con, agente}")
    con, agente = data.get("con"), data.get("agente")
    if not isinstance(con, str) or not con.strip() or len(con) > 64:
        raise Invalid("Falta la conversación (con)")
    if agente is not None and (not isinstance(agente, str) or not agente or len(agente) > 64):
        raise Invalid("agente debe ser el usuario de un agente, o null")
    antes = data.get("antes", ANY)
    if antes is not ANY and antes is not None and (not isinstance(antes, str) or len(antes) > 64):
        raise Invalid("antes debe ser el usuario de un agente, o null")
    return con, agente, antes


def is_active_agent(username):
    """Whether an account is an agent who can work now (not deactivated)."""
    return db.session.scalar(select(func.count()).select_from(Usuario).where(
        Usuario.usuario == username, Usuario.rol == "admin", Usuario.activo.is_(True))) == 1


def assign(con, agente, por, expected=ANY):
    """Set a conversation's assignee if it is still `expected`; (changed, assignee now), or None without a stored row.

    por None: the automatic assigner, which only ever takes open conversations from the pool.
    """
    where = [Conversacion.usuario == con]
    if expected is not ANY:
        where.append(Conversacion.asignado.is_(None) if expected is None else Conversacion.asignado == expected)
    if por is None:
        where.append(Conversacion.estado == "abierta")
    before = db.session.scalar(select(Conversacion.asignado).where(Conversacion.usuario == con))
    changed = db.session.execute(update(Conversacion).where(*where).values(asignado=agente)).rowcount == 1
    if changed:  # its open cycle is this agent's too (reports count it for them)
        db.session.execute(update(Ciclo).where(Ciclo.id == select(Conversacion.ciclo_id).where(
            Conversacion.usuario == con).scalar_subquery()).values(asignado=agente))
    db.session.commit()
    if not changed:
        row = db.session.execute(select(Conversacion.asignado).where(Conversacion.usuario == con)).first()
        db.session.commit()
        return None if row is None else (False, row.asignado)
    if before != agente or expected is not ANY:
        emitter.announce_assignment(con, agente, por, before if expected is ANY else expected)
    if agente is None:
        wake()  # the pool grew
    return True, agente


def release_agent(agent, motivo=None):
    """Return an agent's open conversations to the pool (offline too long, or deactivated); how many."""
    names = db.session.scalars(select(Conversacion.usuario).where(
        Conversacion.asignado == agent, Conversacion.estado == "abierta").order_by(Conversacion.usuario)).all()
    released = 0
    for name in names:
        outcome = assign(name, None, None, expected=agent)
        released += bool(outcome and outcome[0])
    if released:
        log.info("assignment: %d conversations of %s back to the pool (%s)", released, agent, motivo)
    return released


def release_absent(after, schedule=None):
    """Keep each assignee's time offline, and release those offline for more than `after` seconds of open hours."""
    online = get_presence().online().get("admin", set())
    owners = set(db.session.scalars(select(Conversacion.asignado).where(
        Conversacion.estado == "abierta", Conversacion.asignado.is_not(None)).distinct()))
    now = utc_now()
    away = sorted(owners - online)
    if away:
        db.session.execute(update(Usuario).where(Usuario.usuario.in_(away), Usuario.ausente_desde.is_(None))
                           .values(ausente_desde=now))
    db.session.execute(update(Usuario).where(Usuario.ausente_desde.is_not(None),
                                             Usuario.usuario.not_in(away) if away else True)
                       .values(ausente_desde=None))
    db.session.commit()
    if not away:
        return 0
    schedule = schedule or hours.current()
    since = db.session.execute(select(Usuario.usuario, Usuario.ausente_desde).where(
        Usuario.usuario.in_(away), Usuario.ausente_desde <= now - timedelta(seconds=after))).all()
    db.session.commit()
    # only open hours count: an agent gone overnight (or over a holiday) keeps their conversations
    expired = [agent for agent, desde in since
               if rules.open_seconds(schedule, aware(desde), aware(now)) >= after]
    return sum(release_agent(agent, motivo="offline") for agent in expired)


def aware(utc):
    """A stored naive UTC datetime as an aware one (the hours' rules need aware instants)."""
    return utc.replace(tzinfo=timezone.utc)


def balance(capacity):
    """Give pooled open conversations, longest waiting first, to online agents with room; how many."""
    online = sorted(get_presence().online().get("admin", set()))
    if not online:
        return 0
    agents = db.session.scalars(select(Usuario.usuario).where(
        Usuario.usuario.in_(online), Usuario.rol == "admin", Usuario.activo.is_(True))).all()
    load = dict(db.session.execute(select(Conversacion.asignado, func.count()).where(
        Conversacion.estado == "abierta", Conversacion.asignado.in_(agents) if agents else False)
        .group_by(Conversacion.asignado)).all())
    room = {agent: capacity - load.get(agent, 0) for agent in agents if load.get(agent, 0) < capacity}
    if not room:
        return 0
    given = 0
    for name in pooled(sum(room.values())):
        agent = min(room, key=lambda a: (-room[a], a))  # the fewest open conversations; then by name
        outcome = assign(name, agent, None, expected=None)
        if outcome and outcome[0]:
            given += 1
            room[agent] -= 1
            if not room[agent]:
                del room[agent]
                if not room:
                    break
    db.session.commit()
    return given


def pooled(limit):
    """Up to `limit` unassigned open conversations: the waiting ones, longest first, then the oldest answered ones."""
    base = select(Conversacion.usuario).where(Conversacion.estado == "abierta", Conversacion.asignado.is_(None))
    names = db.session.scalars(base.where(Conversacion.esperando_id.is_not(None))
                               .order_by(Conversacion.esperando_id).limit(limit)).all()
    if len(names) < limit:
        names += db.session.scalars(base.where(Conversacion.esperando_id.is_(None))
                                    .order_by(Conversacion.ultimo_id).limit(limit - len(names))).all()
    db.session.commit()
    return names


class Assigner:
    """The background task that balances the pool and releases absent assignees, on this process."""

    def __init__(self, app):
        self.app = app
        self.due = True  # set from any thread (the storer's listener); read by the loop
        url = redis_url(app.config)
        self.redis = redis_client.connect(url) if url else None
        self.lock = RedisLock(self.redis, f"soporte:asignacion:{app.config['SOCKETIO_CHANNEL']}", LOCK_MS)
        self._started = False
        self._last = 0.0  # when the last round started (monotonic)
        self._failing = False  # the last round failed: the next failures are not logged again

    def start(self):
        """Run the rounds in the background (a serving process): a look at the wake flag every WAKE_POLL."""
        if not self._started:
            self._started = True
            every(WAKE_POLL, self.tick, name="assignment", app=self.app)

    def tick(self):
        """Sweep when woken, or every ASSIGN_INTERVAL anyway (what other processes saw)."""
        if not self.due and time.monotonic() - self._last < self.app.config["ASSIGN_INTERVAL"]:
            return
        self.due = False
        self._last = time.monotonic()
        try:
            self.sweep()
            self._failing = False
        except Exception:  # the next round tries again; one traceback per outage, not one per round
            if not self._failing:
                log.exception("assignment: the sweep failed (logged again once it has worked)")
            self._failing = True
        finally:
            db.session.remove()

    def sweep(self):
        """One round: release absent assignees, then fill agents up to capacity, under the assigners' lock."""
        config = self.app.config
        if not config["AUTO_ASSIGN"] and not config["OFFLINE_RELEASE_AFTER"]:
            return
        token = self.lock.acquire()
        if token is None:
            return  # another process is at it; this one's next round looks again
        try:
            schedule = hours.current()
            if config["OFFLINE_RELEASE_AFTER"]:
                release_absent(config["OFFLINE_RELEASE_AFTER"], schedule)
            # outside business hours nobody is given work: the pool waits for the opening
            if config["AUTO_ASSIGN"] and rules.is_open(schedule, datetime.now(timezone.utc)):
                balance(config["AGENT_CAPACITY"])
        finally:
            self.lock.release(token)


def wake(*_):
    """Ask this process's assigner for a round soon (a conversation opened or left someone's hands)."""
    assigner = current_app.extensions.get("soporte.assigner")
    if assigner is not None:
        assigner.due = True


def init_app(app, serving):
    """Give a serving app its assigner, woken by each conversation its storer opens."""
    assigner = Assigner(app)
    app.extensions["soporte.assigner"] = assigner
    app.extensions["soporte"].opened_listeners.append(lambda opened: setattr(assigner, "due", True))
    app.extensions["soporte.presence"].listeners.append(
        lambda rol, user, en_linea: setattr(assigner, "due", True) if rol == "admin" and en_linea else None)
    if serving:
        assigner.start()
