"""The demo policy: the README's Berlin office, created once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hours import engine
from hours.demo import demo_policy_create
from hours.models import BusinessHoursPolicy
from hours.snapshot import policy_snapshot

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_demo_policy_is_the_berlin_office_and_is_created_once():
    policy = demo_policy_create()
    assert demo_policy_create().pk == policy.pk
    assert BusinessHoursPolicy.objects.count() == 1 and policy.is_default
    snapshot = policy_snapshot(policy)
    assert engine.is_open(snapshot, datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN))
    assert not engine.is_open(snapshot, datetime(2026, 11, 25, 13, 0, tzinfo=BERLIN))
    # Christmas Day 2026 is a Friday; the office reopens on Monday the 28th.
    assert engine.next_open(snapshot, datetime(2026, 12, 24, 19, 0, tzinfo=BERLIN)) == datetime(
        2026, 12, 28, 9, 0, tzinfo=BERLIN
    )
    assert sorted(policy.away_texts.values_list("language", flat=True)) == ["de", "en"]


def test_an_older_demo_policy_without_hours_gets_the_office_hours():
    old = BusinessHoursPolicy.objects.create(name="Berlin office", time_zone="Europe/Berlin", is_default=True)
    policy = demo_policy_create()
    assert policy.pk == old.pk
    assert policy.windows.count() == 10
    assert policy.holiday_country == "DE"
