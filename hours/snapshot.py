"""Turns a policy's rows into the engine's plain snapshot, so the engine never touches the database."""

from collections import defaultdict
from datetime import date, time

from hours import engine
from hours.models import BusinessHoursPolicy

PREFETCH = ("windows", "exceptions", "away_texts")


def policy_snapshot(policy: BusinessHoursPolicy) -> engine.Policy:
    """Uses prefetched windows and exceptions when present (prefetch ``PREFETCH`` for lists)."""
    weekly: list[list[engine.Window]] = [[] for _ in range(7)]
    for window in policy.windows.all():
        weekly[window.weekday].append(engine.Window(window.opens_at, window.closes_at))
    exceptions: defaultdict[date, list[engine.Window]] = defaultdict(list)
    for exception in policy.exceptions.all():
        day = exceptions[exception.date]
        if not exception.is_closed and exception.opens_at is not None and exception.closes_at is not None:
            day.append(engine.Window(exception.opens_at, exception.closes_at))
    return engine.Policy(
        time_zone=policy.time_zone if engine.is_time_zone(policy.time_zone) else "UTC",
        weekly=tuple(tuple(sorted(day, key=lambda w: w.start)) for day in weekly),
        exceptions={day: tuple(sorted(windows, key=lambda w: w.start)) for day, windows in exceptions.items()},
        holiday_country=policy.holiday_country,
        holiday_subdivision=policy.holiday_subdivision,
    )


# Always-open, for places with no policy at all.
ALWAYS_OPEN = engine.Policy(time_zone="UTC", weekly=((engine.Window(time(0), time(0)),),) * 7)
