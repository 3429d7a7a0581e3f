"""When support is open: weekly intervals in a time zone's wall clock, minus holidays.

Pure functions of a Schedule and an aware instant; no database. Definitions:
- an interval (inicio, fin) of a weekday is wall-clock minutes in the business zone, fin
  exclusive (09:00-14:00 is closed at 14:00:00); fin may be 1440 (midnight at the day's end);
- a holiday is a local date with no opening at all;
- a schedule with no intervals is always open (no hours configured);
- at a DST change an interval follows the wall clock: 09:00 is 09:00 local on both sides;
  a wall time the change skips (02:30 on a spring-forward night) opens at the first instant
  whose wall clock is inside the interval, and an hour repeated in autumn is open both times.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MINUTES_A_DAY = 24 * 60
HORIZON_DAYS = 400  # next_opening looks this far ahead: a year of holidays and a little more
UTC = timezone.utc


@dataclass(frozen=True)
class Schedule:
    """A week of intervals {weekday: ((inicio, fin), ...) sorted}, the zone, and the holidays."""

    zona: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    semana: dict = field(default_factory=dict)
    festivos: frozenset = frozenset()

    @property
    def always_open(self):
        """No hours configured: support counts as always open."""
        return not any(self.semana.values())

    def intervals(self, day):
        """The local date's intervals (none on a holiday)."""
        return () if day in self.festivos else self.semana.get(day.weekday(), ())


def is_open(schedule, at):
    """Whether support is open at an aware instant."""
    if schedule.always_open:
        return True
    local = at.astimezone(schedule.zona)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(inicio * 60 <= seconds < fin * 60 for inicio, fin in schedule.intervals(local.date()))


def wall(day, minutes, zona, fold=0):
    """The aware instant of a local date and wall-clock minutes (1440: the next midnight)."""
    day += timedelta(days=minutes // MINUTES_A_DAY)
    minutes %= MINUTES_A_DAY
    return datetime.combine(day, time(minutes // 60, minutes % 60, fold=fold), zona)


def next_opening(schedule, at):
    """The first instant at or after `at` when support is open (UTC); `at` itself if open; None if never."""
    if is_open(schedule, at):
        return at.astimezone(UTC)
    start = at.astimezone(schedule.zona).date() - timedelta(days=1)  # a DST fold may place it a day back
    for offset in range(HORIZON_DAYS):
        day = start + timedelta(days=offset)
        for inicio, fin in schedule.intervals(day):
            # both readings of an ambiguous wall time (an autumn night repeats its hours)
            for candidate in sorted({wall(day, inicio, schedule.zona, f).astimezone(UTC) for f in (0, 1)}):
                if candidate <= at:
                    continue
                if is_open(schedule, candidate):
                    return candidate
                opening = first_open_after(schedule, candidate, day, fin)  # the opening's wall time was skipped
                if opening is not None:
                    return opening
    return None


def first_open_after(schedule, instant, day, fin):
    """Within a skipped stretch: the first whole minute after `instant` that is open, before the interval ends."""
    end = wall(day, fin, schedule.zona).astimezone(UTC)
    probe = instant
    while probe < end:
        probe += timedelta(minutes=1)
        if is_open(schedule, probe):
            return probe
    return None


def next_closing(schedule, at):
    """When support, open at `at`, closes next (UTC): back-to-back intervals count as one; None if always open."""
    if schedule.always_open or not is_open(schedule, at):
        return None
    moment = at
    for _ in range(HORIZON_DAYS * 4):
        local = moment.astimezone(schedule.zona)
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        ends = [fin for inicio, fin in schedule.intervals(local.date()) if inicio * 60 <= seconds < fin * 60]
        end = wall(local.date(), max(ends), schedule.zona).astimezone(UTC)
        if end <= moment:  # a repeated (autumn) hour: the wall clock ends later than it reads now
            end = moment + timedelta(minutes=1)
        if not is_open(schedule, end):
            return end
        moment = end
    return None


def next_change(schedule, at):
    """The next instant the answer of is_open changes (UTC), or None when it never does."""
    return next_closing(schedule, at) if is_open(schedule, at) else next_opening(schedule, at)


def open_seconds(schedule, start, end):
    """How many seconds between two aware instants support was open (all of them with no hours configured).

    The offline-release timer counts these: an agent away overnight keeps their conversations.
    """
    if end <= start:
        return 0.0
    if schedule.always_open:
        return (end - start).total_seconds()
    first = start.astimezone(schedule.zona).date() - timedelta(days=1)
    last = end.astimezone(schedule.zona).date() + timedelta(days=1)
    if (last - first).days > HORIZON_DAYS:  # longer away than the horizon: count from its start
        first = last - timedelta(days=HORIZON_DAYS)
    total = 0.0
    day = first
    while day <= last:
        for inicio, fin in schedule.intervals(day):
            for lo, hi in real_spans(day, inicio, fin, schedule.zona):
                lo, hi = max(lo, start), min(hi, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def real_spans(day, inicio, fin, zona):
    """The UTC stretches of one wall-clock interval: two when an autumn night repeats its hours, else one."""
    spans = sorted({(wall(day, inicio, zona, f).astimezone(UTC), wall(day, fin, zona, f).astimezone(UTC))
                    for f in (0, 1)})
    merged = [list(spans[0])]
    for lo, hi in spans[1:]:
        if lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def parse_minutes(text):
    """Minutes after midnight from "HH:MM" (24:00 allowed, for an interval's end); ValueError otherwise."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit() and len(minutes) == 2
            and 1 <= len(hours) <= 2):
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_A_DAY:
        raise ValueError(text)
    return value


def format_minutes(value):
    """"HH:MM" of minutes after midnight (1440 is 24:00)."""
    return f"{value // 60:02d}:{value % 60:02d}"


def parse_day_intervals(text):
    """A day's intervals from "09:00-14:00, 16:00-19:00" (empty: closed), sorted; ValueError if wrong or overlapping."""
    intervals = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        inicio, sep, fin = part.partition("-")
        if not sep:
            raise ValueError(part)
        start, stop = parse_minutes(inicio), parse_minutes(fin)
        if start >= stop or start >= MINUTES_A_DAY:
            raise ValueError(part)
        intervals.append((start, stop))
    intervals.sort()
    for (_, prev_end), (start, _) in zip(intervals, intervals[1:]):
        if start < prev_end:
            raise ValueError(text)
    return tuple(intervals)


def format_day_intervals(intervals):
    """A day's intervals as the page's field shows them: "09:00-14:00, 16:00-19:00"."""
    return ", ".join(f"{format_minutes(a)}-{format_minutes(b)}" for a, b in intervals)


def local_date(text):
    """A holiday's date from YYYY-MM-DD (ASCII digits); ValueError otherwise."""
    text = text.strip()
    if len(text) != 10 or not text.isascii():
        raise ValueError(text)
    return date.fromisoformat(text)
