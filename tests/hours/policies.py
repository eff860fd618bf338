"""Policies built in the database for tests: the Berlin office of the README and a few extremes."""

from datetime import time

from hours.models import AwayText, BusinessHoursPolicy, DateException, WeeklyWindow


def berlin_office(name: str = "Berlin office", **fields) -> BusinessHoursPolicy:
    """Mon–Fri 09:00–12:30 and 13:30–18:00 Europe/Berlin, German public holidays."""
    policy = BusinessHoursPolicy.objects.create(name=name, time_zone="Europe/Berlin", holiday_country="DE", **fields)
    for weekday in range(5):
        WeeklyWindow.objects.create(policy=policy, weekday=weekday, opens_at=time(9), closes_at=time(12, 30))
        WeeklyWindow.objects.create(policy=policy, weekday=weekday, opens_at=time(13, 30), closes_at=time(18))
    return policy


def always_open(name: str = "Around the clock", **fields) -> BusinessHoursPolicy:
    policy = BusinessHoursPolicy.objects.create(name=name, time_zone="UTC", **fields)
    for weekday in range(7):
        WeeklyWindow.objects.create(policy=policy, weekday=weekday, opens_at=time(0), closes_at=time(0))
    return policy


def never_open(name: str = "Closed for good") -> BusinessHoursPolicy:
    return BusinessHoursPolicy.objects.create(name=name, time_zone="Europe/Berlin")


__all__ = ["AwayText", "DateException", "always_open", "berlin_office", "never_open"]
