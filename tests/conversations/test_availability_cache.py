"""The cached availability: reused between transitions, forgotten as soon as hours or the away switch change."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.selectors.availability import conversation_availability, team_availability
from helpdesk.models import Agent
from hours.models import DateException, WeeklyWindow
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.hours.policies import berlin_office

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY_TEN = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)


def staffed_team(policy):
    team = TeamFactory(business_hours_policy=policy)
    team.members.add(AgentFactory(availability=Agent.Availability.ONLINE))
    return team


def test_a_second_ask_within_the_same_period_costs_no_policy_queries(django_assert_max_num_queries):
    team = staffed_team(berlin_office())
    conversation = ConversationFactory(inbox=InboxFactory(team=team), team=team)
    first = conversation_availability(conversation=conversation, now=WEDNESDAY_TEN)
    # Only "is someone online?" is asked again: presence changes without any save.
    with django_assert_max_num_queries(1):
        again = conversation_availability(conversation=conversation, now=WEDNESDAY_TEN + timedelta(seconds=5))
    assert first == again and again.state == "open"


def test_switching_the_policy_away_is_seen_by_the_next_ask():
    policy = berlin_office()
    team = staffed_team(policy)
    assert team_availability(team=team, now=WEDNESDAY_TEN).state == "open"
    policy.away = True
    policy.save()
    after = team_availability(team=team, now=WEDNESDAY_TEN)
    assert (after.state, after.reason) == ("away", "switched_away")


def test_closing_the_day_is_seen_by_the_next_ask():
    policy = berlin_office()
    team = staffed_team(policy)
    assert team_availability(team=team, now=WEDNESDAY_TEN).is_open
    DateException.objects.create(policy=policy, date=WEDNESDAY_TEN.date(), label="Retreat")
    closed = team_availability(team=team, now=WEDNESDAY_TEN)
    assert closed.state == "closed" and closed.next_open == datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)


def test_a_new_window_moves_next_open_exactly():
    policy = berlin_office()
    team = staffed_team(policy)
    evening = datetime(2026, 11, 25, 19, 0, tzinfo=BERLIN)
    assert team_availability(team=team, now=evening).next_open == datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)
    WeeklyWindow.objects.create(policy=policy, weekday=2, opens_at=time(20), closes_at=time(22))
    assert team_availability(team=team, now=evening).next_open == datetime(2026, 11, 25, 20, 0, tzinfo=BERLIN)


def test_a_cached_answer_is_not_used_past_its_transition():
    team = staffed_team(berlin_office())
    before_lunch = datetime(2026, 11, 25, 12, 29, tzinfo=BERLIN)
    assert team_availability(team=team, now=before_lunch).is_open
    lunch = team_availability(team=team, now=before_lunch + timedelta(minutes=2))
    assert lunch.state == "closed" and lunch.next_open == datetime(2026, 11, 25, 13, 30, tzinfo=BERLIN)


def test_a_team_given_another_policy_is_seen_by_the_next_ask():
    team = staffed_team(berlin_office())
    assert team_availability(team=team, now=WEDNESDAY_TEN).is_open
    team.business_hours_policy = berlin_office(name="Away office", away=True)
    team.save()
    assert team_availability(team=team, now=WEDNESDAY_TEN).reason == "switched_away"
