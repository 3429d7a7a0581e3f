"""The business hours in the database: read as a rules.Schedule (cached briefly), and replaced by supervisors.

Every process reads the same rows; a process that saved forgets its copy at once, the
others within CACHE_SECONDS (the assigner and the customers' notice can be that late).
"""
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import delete, select

from soporte.extensions import db
from soporte.hours.rules import Schedule
from soporte.models import Ajuste, Festivo, HorarioIntervalo
from soporte.upsert import upsert

ZONE_KEY = "horario_zona"
DEFAULT_ZONE = "UTC"
CACHE_SECONDS = 10.0
CACHE = "soporte.hours"  # app.extensions key: {"read": monotonic time, "schedule": Schedule}


def load():
    """The stored schedule, read now (the zone UTC if none was saved or it is no longer known)."""
    semana = {}
    for row in db.session.scalars(select(HorarioIntervalo).order_by(HorarioIntervalo.dia, HorarioIntervalo.inicio)):
        semana.setdefault(row.dia, []).append((row.inicio, row.fin))
    zona = db.session.scalar(select(Ajuste.valor).where(Ajuste.clave == ZONE_KEY)) or DEFAULT_ZONE
    try:
        zone = ZoneInfo(zona)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zone = ZoneInfo(DEFAULT_ZONE)
    festivos = frozenset(db.session.scalars(select(Festivo.fecha)))
    return Schedule(zone, {dia: tuple(v) for dia, v in semana.items()}, festivos)


def current():
    """The schedule as this process last read it (at most CACHE_SECONDS ago)."""
    cached = current_app.extensions.get(CACHE)
    if cached is None or time.monotonic() - cached["read"] > CACHE_SECONDS:
        cached = current_app.extensions[CACHE] = {"read": time.monotonic(), "schedule": load()}
    return cached["schedule"]


def forget():
    """Drop this process's copy: the next read sees the database (after a save)."""
    current_app.extensions.pop(CACHE, None)


def holidays():
    """Every holiday as (fecha, nombre), in date order."""
    return db.session.execute(select(Festivo.fecha, Festivo.nombre).order_by(Festivo.fecha)).all()


def replace(semana, zona, festivos):
    """Store a whole new schedule in the current transaction (the caller audits and commits).

    semana: {weekday: ((inicio, fin), ...)}; zona: an IANA name; festivos: {date: name or None}.
    """
    db.session.execute(delete(HorarioIntervalo))
    db.session.add_all(HorarioIntervalo(dia=dia, inicio=a, fin=b) for dia, spans in sorted(semana.items())
                       for a, b in spans)
    db.session.execute(delete(Festivo))
    db.session.add_all(Festivo(fecha=fecha, nombre=nombre) for fecha, nombre in sorted(festivos.items()))
    db.session.execute(upsert(db.session.get_bind().dialect.name, Ajuste.__table__, ["clave"],
                              lambda new: {"valor": new["valor"]}), {"clave": ZONE_KEY, "valor": zona})
