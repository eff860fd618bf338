"""The calendar engine: pure functions over a policy snapshot and an aware datetime, no database inside.

A policy is a weekly pattern of windows in its own time zone, public holidays (optional) and date
exceptions. A window belongs to the local date it starts on: a Friday 22:00–02:00 window runs into
Saturday even if Saturday is a holiday. On a date with exceptions, the exceptions replace the weekly
windows (an exception without times closes the day); otherwise a public holiday closes the day.

Local wall-clock times become instants like this: a start inside a DST gap moves forward by the gap
(02:30 on a spring-forward night opens at 03:30); a start inside a fold takes the first occurrence; an
end inside a fold takes the second occurrence, so a window keeps every minute the clock shows.
Intervals are half-open: open at the start instant, closed at the end instant.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays

DAY = timedelta(days=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# How far past the last date exception the engine looks before it concludes that a policy with weekly
# windows never opens (or never closes): a year of holidays plus a week.
HORIZON_DAYS = 372


@dataclass(frozen=True)
class Window:
    """Opening hours on one day. ``end <= start`` runs past midnight; ``start == end`` is 24 hours."""

    start: time
    end: time

    @property
    def duration(self) -> timedelta:
        minutes = (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)
        seconds = minutes * 60 + (self.end.second - self.start.second)
        return timedelta(seconds=seconds % 86400 or 86400)


@dataclass(frozen=True)
class Policy:
    """Everything the engine needs to know about a policy, built once from the models."""

    time_zone: str = "UTC"
    # Seven tuples of windows, Monday first.
    weekly: tuple[tuple[Window, ...], ...] = ((),) * 7
    # Dates whose windows replace the weekly ones; an empty tuple closes the date.
    exceptions: dict[date, tuple[Window, ...]] = field(default_factory=dict)
    holiday_country: str = ""
    holiday_subdivision: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return zone_for(self.time_zone)


def zone_for(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def is_time_zone(name: str) -> bool:
    return bool(name) and name in _zones()


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _calendar(country: str, subdivision: str, year: int) -> Mapping[date, str]:
    try:
        return holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except (NotImplementedError, AttributeError, KeyError):
        # The admin refuses unknown codes; one that slipped in some other way means no holidays, not a crash.
        return {}


@functools.lru_cache(maxsize=256)
def holiday_dates(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(_calendar(country, subdivision, year).keys())


def holiday_name(country: str, subdivision: str, day: date) -> str | None:
    return _calendar(country, subdivision, day.year).get(day)


def windows_on(policy: Policy, day: date) -> tuple[Window, ...]:
    """The windows that start on a local date, after exceptions and holidays."""
    if day in policy.exceptions:
        return policy.exceptions[day]
    if policy.holiday_country and day in holiday_dates(policy.holiday_country, policy.holiday_subdivision, day.year):
        return ()
    return policy.weekly[day.weekday()]


def _instant(naive: datetime, zone: ZoneInfo, *, end: bool) -> datetime:
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if not end:
        return first
    # In a fold the second reading is later; in a gap fold=0 is the one moved forward, hence max.
    return max(first, naive.replace(tzinfo=zone, fold=1).astimezone(UTC))


def intervals_on(policy: Policy, day: date) -> list[tuple[datetime, datetime]]:
    """UTC intervals of the windows starting on ``day``, sorted; empty ones (inside a DST gap) dropped."""
    zone = policy.zone
    out = []
    for window in windows_on(policy, day):
        start_naive = datetime.combine(day, window.start)
        start = _instant(start_naive, zone, end=False)
        stop = _instant(start_naive + window.duration, zone, end=True)
        if stop > start:
            out.append((start, stop))
    out.sort()
    return out


def _has_weekly(policy: Policy) -> bool:
    return any(policy.weekly)


def _last_day(policy: Policy, day: date) -> date:
    """The last local date worth looking at from ``day`` on: past it, nothing new can happen."""
    last_exception = max((d for d, windows in policy.exceptions.items() if windows), default=day)
    if _has_weekly(policy):
        return max(day, max(policy.exceptions, default=day)) + timedelta(days=HORIZON_DAYS)
    return max(day, last_exception)


def _merged(policy: Policy, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
    """Merged, sorted UTC intervals of the windows starting between two local dates (inclusive)."""
    current = None
    day = first
    while day <= last:
        for start, stop in intervals_on(policy, day):
            if current is not None and start <= current[1]:
                current = (current[0], max(current[1], stop))
            else:
                if current is not None:
                    yield current
                current = (start, stop)
        day += DAY
    if current is not None:
        yield current


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the calendar engine needs an aware datetime")
    return at.astimezone(UTC)


def _local_date(policy: Policy, at: datetime) -> date:
    return at.astimezone(policy.zone).date()


def is_open(policy: Policy, at: datetime) -> bool:
    at = _utc(at)
    day = _local_date(policy, at)
    for offset in (2, 1, 0):
        for start, stop in intervals_on(policy, day - timedelta(days=offset)):
            if start <= at < stop:
                return True
    return False


def next_open(policy: Policy, at: datetime) -> datetime | None:
    """The first instant at or after ``at`` when the policy is open (``at`` itself when open now);
    None when it never opens again. Reasons in whole days, so months of closure cost a few ms."""
    at = _utc(at)
    day = _local_date(policy, at)
    for start, stop in _merged(policy, day - timedelta(days=2), _last_day(policy, day)):
        if stop > at:
            return max(start, at)
    return None


_WHOLE_DAY = Window(time(0), time(0))


def _around_the_clock(policy: Policy, day: date) -> bool:
    """Open every day all day with nothing ahead that could close it: no need to walk the horizon."""
    return (
        not policy.holiday_country
        and all(_WHOLE_DAY in windows for windows in policy.weekly)
        and not any(d >= day - timedelta(days=2) for d in policy.exceptions)
    )


def next_close(policy: Policy, at: datetime) -> datetime | None:
    """The first instant at or after ``at`` when the policy closes (after it next opens, if closed now);
    None when it never opens, or stays open past the engine's horizon (open around the clock)."""
    opens = next_open(policy, at)
    if opens is None:
        return None
    day = _local_date(policy, opens)
    if _around_the_clock(policy, day):
        return None
    last = _last_day(policy, day)
    horizon = datetime.combine(last, time(0), tzinfo=policy.zone).astimezone(UTC)
    for _start, stop in _merged(policy, day - timedelta(days=2), last):
        if stop > opens:
            # Without weekly windows nothing can open after the last exception date, so every stop is a
            # real close (the horizon check used to drop a window on that very date).
            if _has_weekly(policy) and stop > horizon:
                return None
            return stop
    return None


def business_time_between(policy: Policy, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end); zero when end is not after start."""
    start, end = _utc(start), _utc(end)
    total = timedelta(0)
    if end <= start:
        return total
    first = _local_date(policy, start) - timedelta(days=2)
    for open_at, close_at in _merged(policy, first, _local_date(policy, end)):
        lo, hi = max(open_at, start), min(close_at, end)
        if hi > lo:
            total += hi - lo
    return total


def business_seconds_between(policy: Policy, start: datetime, end: datetime) -> float:
    return business_time_between(policy, start, end).total_seconds()


# --- Validation helpers for the admin (pure, so they are tested with the engine) -------------------


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def window_problem(start: time | None, end: time | None) -> str | None:
    """Why a single window cannot be saved, in words a supervisor understands; None when it is fine."""
    if start is None or end is None:
        return "A window needs both an opening and a closing time."
    if start == end and start != time(0):
        return (
            f"This window opens and closes at {start:%H:%M}, so it lasts no time at all. "
            "For a whole day use 00:00–00:00; to close the day, add no window."
        )
    return None


def weekly_overlaps(windows: list[tuple[int, time, time]]) -> list[str]:
    """Messages for weekly windows (weekday, start, end) that overlap, counting windows past midnight
    as running into the next day (Sunday into Monday)."""
    week = 7 * 1440
    spans = []
    for weekday, start, end in windows:
        begin = weekday * 1440 + _minutes(start)
        length = int(Window(start, end).duration.total_seconds() // 60)
        spans.append((begin, begin + length, weekday, start, end))
    problems = []
    for i, a in enumerate(spans):
        for b in spans[i + 1 :]:
            for shift in (-week, 0, week):
                if a[0] < b[1] + shift and b[0] + shift < a[1]:
                    problems.append(
                        f"{WEEKDAYS[a[2]]} {a[3]:%H:%M}–{a[4]:%H:%M} overlaps "
                        f"{WEEKDAYS[b[2]]} {b[3]:%H:%M}–{b[4]:%H:%M}; make one end before the other starts."
                    )
                    break
    return problems


def day_overlaps(day: date, windows: list[tuple[time, time]]) -> list[str]:
    """Messages for special windows on one date that overlap each other."""
    return [
        message.replace(WEEKDAYS[0], f"{day:%d %b %Y}", 2)
        for message in weekly_overlaps([(0, start, end) for start, end in windows])
    ]
