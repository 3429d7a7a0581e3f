"""Business hours' rules at their edges (soporte/hours/rules.py): zones, DST, holidays, interval ends, midnight."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from soporte.hours.rules import (Schedule, is_open, next_change, next_closing, next_opening, open_seconds,
                                 parse_day_intervals)

UTC = timezone.utc
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {d: ((9 * 60, 14 * 60), (16 * 60, 19 * 60)) for d in range(5)}  # Mon-Fri 9-14, 16-19


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def test_no_hours_is_always_open():
    """No intervals configured: open at every instant, the next opening is now, nothing ever closes."""
    empty = Schedule()
    at = utc(2026, 12, 25, 3, 0)
    assert is_open(empty, at) and next_opening(empty, at) == at
    assert next_closing(empty, at) is None and next_change(empty, at) is None
    assert open_seconds(empty, at, at + timedelta(hours=5)) == 5 * 3600


def test_interval_end_is_exclusive_and_start_inclusive():
    """09:00:00 is open, 13:59:59.999 open, 14:00:00 closed; the afternoon opens at 16:00."""
    s = Schedule(MADRID, WEEKDAYS)
    assert is_open(s, local(MADRID, 2026, 12, 7, 9, 0))  # a Monday
    assert not is_open(s, local(MADRID, 2026, 12, 7, 8, 59, 59, 999999))
    assert is_open(s, local(MADRID, 2026, 12, 7, 13, 59, 59, 999999))
    assert not is_open(s, local(MADRID, 2026, 12, 7, 14, 0))
    assert next_opening(s, local(MADRID, 2026, 12, 7, 14, 0)) == local(MADRID, 2026, 12, 7, 16, 0)
    assert next_closing(s, local(MADRID, 2026, 12, 7, 10, 0)) == local(MADRID, 2026, 12, 7, 14, 0)


def test_same_instant_differs_by_zone():
    """08:30 UTC in winter is 09:30 in Madrid (open) and 03:30 in New York (closed); in UTC, closed."""
    at = utc(2026, 12, 7, 8, 30)
    assert is_open(Schedule(MADRID, WEEKDAYS), at)
    assert not is_open(Schedule(NEW_YORK, WEEKDAYS), at)
    assert not is_open(Schedule(ZoneInfo("UTC"), WEEKDAYS), at)
    assert next_opening(Schedule(NEW_YORK, WEEKDAYS), at) == utc(2026, 12, 7, 14, 0)  # 09:00 EST
    assert next_opening(Schedule(ZoneInfo("UTC"), WEEKDAYS), at) == utc(2026, 12, 7, 9, 0)


def test_friday_evening_opens_on_monday():
    """Across the weekend: Friday 19:00 to Monday 09:00."""
    s = Schedule(MADRID, WEEKDAYS)
    assert next_opening(s, local(MADRID, 2026, 12, 11, 19, 0)) == local(MADRID, 2026, 12, 14, 9, 0)


def test_holiday_is_closed_all_day_and_skipped():
    """Christmas (a Friday) is closed; from Thursday evening support next opens on Monday the 28th."""
    s = Schedule(MADRID, WEEKDAYS, frozenset({date(2026, 12, 25)}))
    assert not is_open(s, local(MADRID, 2026, 12, 25, 10, 0))
    assert next_opening(s, local(MADRID, 2026, 12, 24, 20, 0)) == local(MADRID, 2026, 12, 28, 9, 0)


def test_holiday_is_a_local_date():
    """A holiday in Madrid starts at local midnight, i.e. 23:00 UTC the day before."""
    s = Schedule(MADRID, {d: ((0, 1440),) for d in range(7)}, frozenset({date(2026, 12, 25)}))
    assert is_open(s, utc(2026, 12, 24, 22, 59))
    assert not is_open(s, utc(2026, 12, 24, 23, 0))
    assert next_opening(s, utc(2026, 12, 24, 23, 0)) == utc(2026, 12, 25, 23, 0)


def test_midnight_intervals_join_across_days():
    """20:00-24:00 then 00:00-08:00 the next day is one opening: it closes at 08:00, not at midnight."""
    s = Schedule(ZoneInfo("UTC"), {0: ((20 * 60, 1440),), 1: ((0, 8 * 60),)})
    assert is_open(s, utc(2026, 12, 7, 23, 59, 59))
    assert is_open(s, utc(2026, 12, 8, 0, 0))
    assert next_closing(s, utc(2026, 12, 7, 21, 0)) == utc(2026, 12, 8, 8, 0)
    assert not is_open(s, utc(2026, 12, 8, 8, 0))
    assert next_opening(s, utc(2026, 12, 8, 8, 0)) == utc(2026, 12, 14, 20, 0)


@pytest.mark.parametrize("zone, spring, autumn", [
    (MADRID, date(2026, 3, 29), date(2026, 10, 25)),  # Europe: last Sundays of March and October
    (NEW_YORK, date(2026, 3, 8), date(2026, 11, 1)),  # America: second Sunday of March, first of November
])
def test_opening_follows_the_wall_clock_across_dst(zone, spring, autumn):
    """09:00 local is 09:00 on both sides of a DST change: the UTC instant moves by an hour."""
    daily = Schedule(zone, {d: ((9 * 60, 17 * 60),) for d in range(7)})
    before = next_opening(daily, datetime.combine(spring - timedelta(days=1), datetime.min.time(), zone))
    after = next_opening(daily, datetime.combine(spring, datetime.min.time(), zone))
    assert before.astimezone(zone).hour == after.astimezone(zone).hour == 9
    assert (after - before) == timedelta(hours=23)  # the spring day is an hour short
    fall_before = next_opening(daily, datetime.combine(autumn - timedelta(days=1), datetime.min.time(), zone))
    fall_after = next_opening(daily, datetime.combine(autumn, datetime.min.time(), zone))
    assert fall_after - fall_before == timedelta(hours=25)
    # open time over the short day is still 8 hours: the change happens at night
    assert open_seconds(daily, datetime.combine(spring, datetime.min.time(), zone),
                        datetime.combine(spring + timedelta(days=1), datetime.min.time(), zone)) == 8 * 3600


def test_night_interval_across_spring_forward():
    """01:00-05:00 on the night Madrid skips 02:00-03:00 is open 3 real hours; a 02:30 opening starts at 03:00 CEST."""
    spring = date(2026, 3, 29)  # a Sunday
    s = Schedule(MADRID, {6: ((60, 300),)})
    start = datetime.combine(spring, datetime.min.time(), MADRID)
    assert open_seconds(s, start, start + timedelta(days=1)) == 3 * 3600
    skipped = Schedule(MADRID, {6: ((150, 240),)})  # 02:30-04:00: its opening's wall time never happens
    assert next_opening(skipped, start) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the first open instant
    assert is_open(skipped, utc(2026, 3, 29, 1, 0)) and not is_open(skipped, utc(2026, 3, 29, 0, 59))


def test_repeated_autumn_hour_is_open_twice():
    """02:00-02:30 on the night Madrid repeats 02:00-03:00: open in both passes, an hour of open time in all."""
    autumn = date(2026, 10, 25)
    s = Schedule(MADRID, {6: ((120, 150),)})
    first = utc(2026, 10, 25, 0, 0)  # 02:00 CEST
    second = utc(2026, 10, 25, 1, 0)  # 02:00 CET
    assert is_open(s, first) and is_open(s, second)
    assert not is_open(s, utc(2026, 10, 25, 0, 45))  # 02:45 CEST
    assert next_opening(s, utc(2026, 10, 25, 0, 45)) == second
    assert next_closing(s, first) == utc(2026, 10, 25, 0, 30)
    start = datetime.combine(autumn, datetime.min.time(), MADRID)
    assert open_seconds(s, start, start + timedelta(days=1)) == 3600


def test_open_seconds_counts_only_open_time():
    """Away from Monday 18:00 to Tuesday 10:00 (Madrid): one hour on Monday, one on Tuesday."""
    s = Schedule(MADRID, WEEKDAYS)
    assert open_seconds(s, local(MADRID, 2026, 12, 7, 18, 0), local(MADRID, 2026, 12, 8, 10, 0)) == 2 * 3600
    assert open_seconds(s, local(MADRID, 2026, 12, 12, 0, 0), local(MADRID, 2026, 12, 14, 0, 0)) == 0  # weekend


def test_parse_day_intervals():
    """The page's field: several intervals, 24:00 as an end; overlaps, reversed and bad times refused."""
    assert parse_day_intervals("16:00-19:00, 9:00-14:00") == ((540, 840), (960, 1140))
    assert parse_day_intervals("") == ()
    assert parse_day_intervals("20:00-24:00") == ((1200, 1440),)
    for bad in ("9-14", "14:00-09:00", "09:00-12:00, 11:00-13:00", "25:00-26:00", "09:60-10:00", "٠٩:00-10:00",
                "24:00-24:00"):
        with pytest.raises(ValueError):
            parse_day_intervals(bad)
