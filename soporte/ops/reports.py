"""Supervisors' reports: conversations opened and resolved per day, first-response and resolution times.

Every figure comes from the `ciclos` table (one row per opening of a conversation, kept by
the writer and by status changes), read as index ranges on abierta_en, resuelta_en and
primera_respuesta_en: never a scan of the messages, nor of every cycle.

Definitions (docs/architecture.md, "Reports"):
- days are calendar days in the chosen time zone (an IANA name, UTC by default), from
  `desde` to `hasta` inclusive, at most MAX_DAYS of them;
- a cycle counts as *opened* on the day of its abierta_en, as *resolved* (and for its
  resolution time, resuelta_en - abierta_en) on the day of its resuelta_en, and for its
  *first-response time* (primera_respuesta_en - abierta_en) on the day of that first reply;
- the *agent* of a cycle is its `asignado` (the assignee when it was resolved); without
  one, `resuelta_por` for the resolution figures, `primera_respuesta_por` for the first
  response, and nobody (agente None) for the opened count;
- a *rating* (table valoraciones, the customer's 1-5 after a resolution) counts on the day it
  was given, for the agent it credits (the cycle's assignee, else its last agent); `media` is
  the mean score rounded to two decimals, `distribucion` the count of each score 1 to 5;
- the median and the 90th percentile are nearest-rank percentiles (`percentile`), so each
  is a time that one cycle really took; times are in seconds, rounded to the nearest one.
"""
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from soporte.extensions import db
from soporte.models import Ciclo, Usuario, Valoracion

MAX_DAYS = 366  # a year, leap day included
DEFAULT_DAYS = 30  # the range when the request names none
DEFAULT_ZONE = "UTC"
PERCENTILES = {"mediana": 50, "p90": 90}
PERCENTILE_METHOD = "nearest-rank"
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (\d takes any script's)
# IANA names: Area/Location[/More], letters, digits, _ + -; never a path that leaves the database
ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}")
# a local day is at most 26 h long and 14 h off UTC: a day's margin each side holds every instant of the range
MARGIN = timedelta(days=1)


class BadRange(ValueError):
    """A report's dates or time zone break a rule (answered with 400 and this text)."""


@dataclass(frozen=True)
class Range:
    """The days a report covers: desde to hasta inclusive, as calendar days in `zona`."""

    desde: date
    hasta: date
    zona: ZoneInfo

    def days(self):
        """Every day of the range, in order."""
        return [self.desde + timedelta(days=i) for i in range((self.hasta - self.desde).days + 1)]

    def utc_window(self):
        """Naive UTC bounds [lo, hi) that hold every instant of the range's days (and a little more)."""
        start = datetime.combine(self.desde, time(0), self.zona).astimezone(timezone.utc)
        end = datetime.combine(self.hasta + timedelta(days=1), time(0), self.zona).astimezone(timezone.utc)
        return (start - MARGIN).replace(tzinfo=None), (end + MARGIN).replace(tzinfo=None)

    def day_of(self, utc):
        """The range's day a stored (naive UTC) instant falls on in the zone, or None outside the range."""
        day = utc.replace(tzinfo=timezone.utc).astimezone(self.zona).date()
        return day if self.desde <= day <= self.hasta else None


def parse_zone(raw):
    """The report's time zone from its IANA name (UTC when none is given), or BadRange."""
    name = (raw or "").strip() or DEFAULT_ZONE
    if len(name) > 64 or not ZONE.fullmatch(name):
        raise BadRange("zona debe ser una zona horaria IANA, como Europe/Madrid")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, or a folder of the database (America)
        raise BadRange("zona debe ser una zona horaria IANA, como Europe/Madrid") from None


def parse_day(raw, name):
    """A date parameter as YYYY-MM-DD, or BadRange."""
    if not DATE.fullmatch(raw):
        raise BadRange(f"{name} debe ser una fecha AAAA-MM-DD")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRange(f"{name} debe ser una fecha AAAA-MM-DD") from None
    if not 1970 <= day.year <= 9998:  # the UTC window must stay inside datetime's years
        raise BadRange(f"{name} debe ser una fecha AAAA-MM-DD")
    return day


def parse_range(desde, hasta, zona, now=None):
    """The Range a request asks for: hasta defaults to today in the zone, desde to DEFAULT_DAYS before it."""
    zone = parse_zone(zona)
    today = (now or datetime.now(timezone.utc)).astimezone(zone).date()
    last = parse_day(hasta.strip(), "hasta") if hasta and hasta.strip() else today
    first = parse_day(desde.strip(), "desde") if desde and desde.strip() else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise BadRange("desde no puede ser posterior a hasta")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRange(f"El intervalo no puede pasar de {MAX_DAYS} días")
    return Range(first, last, zone)


def percentile(ordered, p):
    """The nearest-rank p-th percentile of sorted values: the one at rank ceil(p/100 * n), 1-based; None if empty.

    With 2 values the median is the first (rank 1) and p90 the second; with 10, ranks 5 and 9.
    """
    if not ordered:
        return None
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1]


def summary(seconds):
    """{"n", "mediana", "p90"} of a list of durations in seconds (whole seconds; None when there are none)."""
    ordered = sorted(seconds)
    figures = {"n": len(ordered)}
    for name, p in PERCENTILES.items():
        value = percentile(ordered, p)
        figures[name] = None if value is None else round(value)
    return figures


def elapsed(start, end):
    """Seconds from start to end; never negative (two processes' clocks may disagree by a little)."""
    return max(0.0, (end - start).total_seconds())


class Tally:
    """What one day, one agent or the whole range adds up to while the cycles are read."""

    def __init__(self):
        self.abiertas = 0
        self.resueltas = 0
        self.primera_respuesta = []
        self.resolucion = []
        self.puntuaciones = [0] * 5  # how many ratings of 1, 2, 3, 4 and 5

    def as_json(self):
        """The protocol's figures: counts, the time summaries in seconds, and the ratings."""
        return {"abiertas": self.abiertas, "resueltas": self.resueltas,
                "primera_respuesta": summary(self.primera_respuesta), "resolucion": summary(self.resolucion),
                "valoracion": satisfaction(self.puntuaciones)}


def satisfaction(counts):
    """{"n", "media", "distribucion"} of the ratings' counts per score (media None when there are none)."""
    n = sum(counts)
    media = round(sum(score * c for score, c in enumerate(counts, 1)) / n, 2) if n else None
    return {"n": n, "media": media, "distribucion": list(counts)}


def in_window(column, rango):
    """A range condition on one indexed time column, for the range's UTC window."""
    lo, hi = rango.utc_window()
    return (column >= lo) & (column < hi)


def range_queries(rango):
    """The index ranges a report reads: cycles opened, resolved and first answered, and ratings, in the range's window."""
    return {
        "abiertas": select(Ciclo.abierta_en, Ciclo.asignado).where(in_window(Ciclo.abierta_en, rango)),
        "resueltas": select(Ciclo.abierta_en, Ciclo.resuelta_en, Ciclo.asignado, Ciclo.resuelta_por)
        .where(in_window(Ciclo.resuelta_en, rango)),
        "primera_respuesta": select(Ciclo.abierta_en, Ciclo.primera_respuesta_en, Ciclo.asignado,
                                    Ciclo.primera_respuesta_por)
        .where(in_window(Ciclo.primera_respuesta_en, rango)),
        "valoraciones": select(Valoracion.fecha, Valoracion.agente, Valoracion.puntuacion)
        .where(in_window(Valoracion.fecha, rango)),
    }


def tally(rango):
    """Read the range's cycles and add them up per day, per agent and overall (days, agents, total)."""
    days = {day: Tally() for day in rango.days()}
    agents = defaultdict(Tally)
    total = Tally()
    queries = range_queries(rango)
    for abierta_en, asignado in db.session.execute(queries["abiertas"]):
        day = rango.day_of(abierta_en)
        if day is not None:
            for each in (days[day], agents[asignado], total):
                each.abiertas += 1
    for abierta_en, resuelta_en, asignado, por in db.session.execute(queries["resueltas"]):
        day = rango.day_of(resuelta_en)
        if day is not None:
            for each in (days[day], agents[asignado or por], total):
                each.resueltas += 1
                each.resolucion.append(elapsed(abierta_en, resuelta_en))
    for abierta_en, respuesta_en, asignado, por in db.session.execute(queries["primera_respuesta"]):
        day = rango.day_of(respuesta_en)
        if day is not None:
            for each in (days[day], agents[asignado or por], total):
                each.primera_respuesta.append(elapsed(abierta_en, respuesta_en))
    for fecha, agente, puntuacion in db.session.execute(queries["valoraciones"]):
        day = rango.day_of(fecha)
        if day is not None and 1 <= puntuacion <= 5:
            for each in (days[day], agents[agente], total):
                each.puntuaciones[puntuacion - 1] += 1
    return days, agents, total


def display_names(usernames):
    """Agents' display names by username (people read names; usernames are for typing)."""
    wanted = [u for u in usernames if u]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Usuario.usuario, Usuario.nombre).where(Usuario.usuario.in_(wanted))).all())


def figures(rango):
    """The report of a Range: per day, per agent (by display name, nobody last) and overall."""
    days, agents, total = tally(rango)
    names = display_names(agents)
    order = sorted(agents, key=lambda a: (a is None, (names.get(a) or a or "").casefold(), a or ""))
    return {
        "desde": rango.desde.isoformat(),
        "hasta": rango.hasta.isoformat(),
        "zona": rango.zona.key,
        "percentil": PERCENTILE_METHOD,
        "dias": [{"dia": day.isoformat(), **t.as_json()} for day, t in days.items()],
        "agentes": [{"agente": a, "nombre": names.get(a, a), **agents[a].as_json()} for a in order],
        "total": total.as_json(),
    }
