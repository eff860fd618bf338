"""A settable clock for tests of code that asks ``django.utils.timezone.now()``."""

from datetime import datetime

from django.utils import timezone


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> datetime:
        self.now = now
        return now


def frozen_clock(monkeypatch) -> Clock:
    """Replace ``timezone.now`` for the test; define a ``clock`` fixture that returns this."""
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    return clock
