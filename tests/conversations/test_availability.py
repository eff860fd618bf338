"""Availability: open, away (switched or nobody online) or closed, from the right policy, in few queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.payloads import availability_payload
from conversations.selectors.availability import (
    Availability,
    conversation_availability,
    format_next_open,
    inbox_availability,
    team_availability,
    team_availability_list,
)
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.hours.policies import always_open, berlin_office, never_open

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY_TEN = datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN)
FRIDAY_EVENING = datetime(2026, 11, 20, 19, 0, tzinfo=BERLIN)


def staffed_team(policy, *, online=True):
    team = TeamFactory(business_hours_policy=policy)
    status = Agent.Availability.ONLINE if online else Agent.Availability.AWAY
    team.members.add(AgentFactory(availability=status))
    return team


def test_a_team_within_hours_with_someone_online_is_open():
    availability = team_availability(team=staffed_team(berlin_office()), now=WEDNESDAY_TEN)
    assert availability.state == "open" and availability.is_open
    assert availability.next_close == datetime(2026, 11, 25, 12, 30, tzinfo=BERLIN)


def test_a_team_outside_hours_is_closed_until_the_next_opening():
    availability = team_availability(team=staffed_team(berlin_office()), now=FRIDAY_EVENING)
    assert availability.state == "closed" and not availability.is_open
    assert availability.next_open == datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    assert availability.time_zone == "Europe/Berlin"


def test_a_team_within_hours_is_away_when_switched_or_nobody_is_online():
    switched = team_availability(team=staffed_team(berlin_office(away=True)), now=WEDNESDAY_TEN)
    assert (switched.state, switched.reason) == ("away", "switched_away")
    empty = team_availability(team=staffed_team(berlin_office(name="other"), online=False), now=WEDNESDAY_TEN)
    assert (empty.state, empty.reason) == ("away", "nobody_online")


def test_the_away_switch_turns_itself_off_at_its_until():
    policy = berlin_office(away=True, away_until=WEDNESDAY_TEN + timedelta(hours=1))
    team = staffed_team(policy)
    assert team_availability(team=team, now=WEDNESDAY_TEN).state == "away"
    assert team_availability(team=team, now=WEDNESDAY_TEN + timedelta(hours=1)).state == "open"


def test_the_conversations_team_policy_wins_over_the_inbox_and_the_default():
    default = never_open(name="default")
    default.is_default = True
    default.save()
    inbox_policy = berlin_office(name="inbox")
    team = staffed_team(always_open())
    inbox = InboxFactory(team=None, business_hours_policy=inbox_policy)
    conversation = ConversationFactory(inbox=inbox, team=team)
    assert conversation_availability(conversation=conversation, now=FRIDAY_EVENING).state == "open"

    teamless = ConversationFactory(inbox=inbox, team=None)
    assert conversation_availability(conversation=teamless, now=FRIDAY_EVENING).state == "closed"

    bare = ConversationFactory(inbox=InboxFactory(team=None), team=None)
    assert conversation_availability(conversation=bare, now=WEDNESDAY_TEN).next_open is None
    assert conversation_availability(conversation=bare, now=WEDNESDAY_TEN).state == "closed"


def test_no_policy_anywhere_means_always_open_when_someone_is_online():
    AgentFactory(availability=Agent.Availability.ONLINE)
    inbox = InboxFactory(team=None)
    assert inbox_availability(inbox=inbox).state == "open"


def test_the_team_list_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(4):
        staffed_team(berlin_office(name=f"p{n}"))
    with django_assert_max_num_queries(6):
        statuses = team_availability_list(now=WEDNESDAY_TEN)
    assert [a.state for _, a in statuses] == ["open"] * 4


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        ("Europe/London", "en", "Monday at 08:00"),
        ("Europe/Berlin", "de-DE", "am Montag um 09:00"),
        ("America/New_York", "fr", "lundi à 03:00"),
        ("Asia/Tokyo", "es", "el lunes a las 17:00"),
        (None, None, "Monday at 09:00"),
        ("Not/AZone", "xx", "Monday at 09:00"),
    ],
)
def test_next_open_reads_naturally_in_the_customers_zone_and_language(zone, language, expected):
    availability = Availability("closed", datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN), "Europe/Berlin", None)
    assert (
        format_next_open(availability=availability, time_zone=zone, language=language, now=FRIDAY_EVENING) == expected
    )


def test_next_open_says_today_tomorrow_or_the_date():
    def text(next_open, now):
        availability = Availability("closed", next_open, "Europe/Berlin", None)
        return format_next_open(availability=availability, time_zone=None, language="en", now=now)

    assert text(datetime(2026, 11, 25, 13, 30, tzinfo=BERLIN), WEDNESDAY_TEN) == "today at 13:30"
    assert text(datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN), WEDNESDAY_TEN) == "tomorrow at 09:00"
    assert text(datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN), WEDNESDAY_TEN) == "on 4 January at 09:00"
    assert text(None, WEDNESDAY_TEN) == "as soon as we can"


def test_the_payload_carries_state_and_text():
    availability = Availability("closed", datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN), "Europe/Berlin", 7)
    payload = availability_payload(availability, time_zone="Europe/Berlin", language="de", now=FRIDAY_EVENING)
    assert payload["state"] == "closed" and payload["is_open"] is False
    assert payload["next_open_text"] == "am Montag um 09:00"
    assert payload["policy_id"] == 7
