"""Response and resolution times in business seconds as well as wall-clock seconds."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conversations.models import Conversation, Message
from conversations.services.metrics import conversation_resolution_record
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.helpers import message_create
from tests.hours.clock import frozen_clock
from tests.hours.policies import berlin_office

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_FIVE = datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch)


def conversation_with_agent(policy):
    team = TeamFactory(business_hours_policy=policy)
    agent = AgentFactory()
    team.members.add(agent)
    return ConversationFactory(inbox=InboxFactory(team=team), team=team), agent


def agent_replies(conversation, agent, capture, body="Hello"):
    # The reply's own after-commit work (e-mail fallback) is not under test here.
    with capture(execute=False):
        message_create(conversation=conversation, sender=Message.Sender.AGENT, author=agent, body=body)


def test_first_response_counts_only_business_time_over_a_weekend(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_FIVE)
    conversation, agent = conversation_with_agent(berlin_office())
    clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN))
    agent_replies(conversation, agent, django_capture_on_commit_callbacks)

    conversation = Conversation.objects.get(pk=conversation.pk)
    # Friday 17:00–18:00 and Monday 09:00–09:30.
    assert conversation.first_response_business_seconds == 90 * 60
    assert conversation.first_response_seconds == int((conversation.first_response_at - FRIDAY_FIVE).total_seconds())


def test_later_replies_do_not_move_the_first_response(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_FIVE)
    conversation, agent = conversation_with_agent(berlin_office())
    clock.set(datetime(2026, 11, 20, 17, 10, tzinfo=BERLIN))
    agent_replies(conversation, agent, django_capture_on_commit_callbacks)
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN))
    agent_replies(conversation, agent, django_capture_on_commit_callbacks, body="And another thing")
    assert Conversation.objects.get(pk=conversation.pk).first_response_business_seconds == 600


def test_a_private_note_is_not_a_first_response(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_FIVE)
    conversation, agent = conversation_with_agent(berlin_office())
    with django_capture_on_commit_callbacks(execute=False):
        message_create(conversation=conversation, sender=Message.Sender.AGENT, author=agent, body="hm", is_private=True)
    assert Conversation.objects.get(pk=conversation.pk).first_response_business_seconds is None


def test_without_any_policy_business_time_is_wall_clock_time(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_FIVE)
    conversation, agent = conversation_with_agent(None)
    clock.set(datetime(2026, 11, 21, 17, 0, tzinfo=BERLIN))
    agent_replies(conversation, agent, django_capture_on_commit_callbacks)
    assert Conversation.objects.get(pk=conversation.pk).first_response_business_seconds == 24 * 3600


def test_resolution_is_recorded_in_wall_clock_and_business_seconds(clock):
    clock.set(FRIDAY_FIVE)
    conversation, _ = conversation_with_agent(berlin_office())
    resolved_at = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    conversation_resolution_record(conversation=conversation, now=resolved_at)

    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.resolution_business_seconds == 2 * 3600
    assert stored.resolution_seconds == int((resolved_at - FRIDAY_FIVE).total_seconds())
