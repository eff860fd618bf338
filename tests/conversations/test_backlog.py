"""Backlog at opening: the sweep notices a team opening and hands out what waited, oldest first."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.inbox.services.backlog import backlog_sweep, policy_opened_between
from conversations.models import Conversation
from conversations.selectors.availability import snapshot_for
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.hours.policies import always_open, berlin_office

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_NINE = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def at(hour, minute=0, second=0, day=23):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("since", "now", "expected"),
    [
        (at(8, 59, 30), at(9, 0, 10), at(9)),
        (at(9, 0, 30), at(9, 1), None),
        (at(13, 29), at(13, 31), at(13, 30)),
        (at(12, 0), at(13, 31), at(13, 30)),
        (at(18, 0), at(18, 1), None),
        (at(19, 0, day=20), at(9, 0, 5), at(9)),
        (at(9, 0, 10), at(9, 0, 10), None),
    ],
    ids=["monday-opening", "already-open", "after-lunch", "through-lunch", "closing", "whole-weekend", "no-time"],
)
def test_it_notices_when_a_policy_went_from_closed_to_open(since, now, expected):
    snapshot = snapshot_for(berlin_office())
    assert policy_opened_between(snapshot=snapshot, since=since, now=now) == expected


def team_with_backlog(policy, *, agents=2, capacity=1):
    team = TeamFactory(business_hours_policy=policy, auto_assign=True)
    for _ in range(agents):
        team.members.add(AgentFactory(availability=Agent.Availability.ONLINE, capacity=capacity))
    inbox = InboxFactory(team=team)
    waiting = []
    # Created newest first, so the ids disagree with the order of waiting.
    for hours_ago in (1, 30, 60):
        waiting.append(
            ConversationFactory(inbox=inbox, team=team, waiting_since=MONDAY_NINE - timedelta(hours=hours_ago))
        )
    return team, waiting


def test_it_hands_out_the_backlog_oldest_first_when_the_team_opens():
    team, (newest, middle, oldest) = team_with_backlog(berlin_office())

    assert backlog_sweep(since=MONDAY_NINE - timedelta(seconds=30), now=MONDAY_NINE + timedelta(seconds=5)) == {
        team.pk: 2
    }
    assigned = dict(Conversation.objects.filter(team=team).values_list("id", "assignee_id"))
    assert assigned[oldest.pk] is not None and assigned[middle.pk] is not None
    assert assigned[newest.pk] is None
    assert assigned[oldest.pk] != assigned[middle.pk]


def test_it_hands_out_nothing_without_an_opening():
    team, waiting = team_with_backlog(berlin_office())
    assert backlog_sweep(since=MONDAY_NINE + timedelta(minutes=5), now=MONDAY_NINE + timedelta(minutes=6)) == {}
    assert not Conversation.objects.filter(team=team, assignee__isnull=False).exists()


def test_a_team_open_around_the_clock_never_opens():
    team_with_backlog(always_open())
    assert backlog_sweep(since=MONDAY_NINE - timedelta(days=1), now=MONDAY_NINE) == {}


def test_the_sweep_remembers_where_it_left_off():
    team, _ = team_with_backlog(berlin_office(), agents=3)
    assert backlog_sweep(now=MONDAY_NINE - timedelta(seconds=20)) == {}
    assert backlog_sweep(now=MONDAY_NINE + timedelta(seconds=10)) == {team.pk: 3}
    # The next tick, still open, finds no new opening.
    assert backlog_sweep(now=MONDAY_NINE + timedelta(seconds=40)) == {}


def test_the_beat_task_runs_the_sweep(monkeypatch):
    from django.core.cache import cache

    from conversations.inbox.services.backlog import LAST_SWEEP_KEY
    from conversations.inbox.tasks import backlog_sweep as task
    from tests.hours.clock import frozen_clock

    frozen_clock(monkeypatch).set(MONDAY_NINE + timedelta(seconds=10))
    cache.set(LAST_SWEEP_KEY, MONDAY_NINE - timedelta(seconds=20))
    team_with_backlog(berlin_office(), agents=3)
    assert task.delay().get() == 3
