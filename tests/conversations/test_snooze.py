"""Snooze until a time or until we open; the sweep wakes conversations on time and tells the assignee."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.inbox.services.snooze import SNOOZE_ENDED, conversation_snooze, conversation_unsnooze, snooze_sweep
from conversations.models import Conversation, Event, Message
from helpdesk.errors import ApplicationError
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.hours.clock import frozen_clock
from tests.hours.policies import berlin_office, never_open

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch)


def assigned_conversation(policy=None):
    team = TeamFactory(business_hours_policy=policy)
    agent = AgentFactory(time_zone="Europe/Berlin")
    team.members.add(agent)
    return ConversationFactory(inbox=InboxFactory(team=team), team=team, assignee=agent), agent


def test_it_snoozes_until_a_time_and_the_sweep_wakes_it_then(clock):
    now = clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    conversation, agent = assigned_conversation()
    conversation_snooze(conversation=conversation, actor=agent, until=now + timedelta(hours=2))
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.SNOOZED
    assert conversation.snoozed_until == now + timedelta(hours=2)

    assert snooze_sweep(now=now + timedelta(hours=1, minutes=59)) == 0
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.SNOOZED

    assert snooze_sweep(now=now + timedelta(hours=2)) == 1
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.snoozed_until is None


def test_the_assignee_gets_a_personal_event_when_the_snooze_ends(clock):
    now = clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    conversation, agent = assigned_conversation()
    conversation_snooze(conversation=conversation, actor=agent, until=now + timedelta(minutes=30))
    snooze_sweep(now=now + timedelta(hours=1))
    snooze_sweep(now=now + timedelta(hours=2))

    [event] = Event.objects.filter(type=SNOOZE_ENDED)
    assert event.agent_id == agent.id
    assert event.conversation_id == conversation.id
    assert event.payload["conversation"]["status"] == "open"


def test_it_snoozes_until_we_open_on_monday_from_a_friday_evening(clock):
    clock.set(datetime(2026, 11, 20, 19, 0, tzinfo=BERLIN))
    conversation, agent = assigned_conversation(berlin_office())
    conversation_snooze(conversation=conversation, actor=agent, until_open=True)
    conversation.refresh_from_db()
    assert conversation.snoozed_until == datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    assert conversation.snooze_until_open
    entry = Message.objects.filter(conversation=conversation, event="snoozed").get()
    assert entry.is_private and "Mon 23 Nov 09:00" in entry.body


def test_until_we_open_while_open_means_the_next_opening(clock):
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    conversation, agent = assigned_conversation(berlin_office())
    conversation_snooze(conversation=conversation, actor=agent, until_open=True)
    conversation.refresh_from_db()
    assert conversation.snoozed_until == datetime(2026, 11, 25, 13, 30, tzinfo=BERLIN)


def test_until_we_open_is_refused_when_the_hours_never_open(clock):
    conversation, agent = assigned_conversation(never_open())
    with pytest.raises(ApplicationError) as error:
        conversation_snooze(conversation=conversation, actor=agent, until_open=True)
    assert error.value.code == "never_opens"
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.OPEN


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "until"),
        ({"until": datetime(2020, 1, 1, tzinfo=UTC)}, "until"),
        ({"until": datetime(2099, 1, 1, tzinfo=UTC), "until_open": True}, "until"),
        ({"until": datetime(2099, 1, 1)}, "until"),
    ],
    ids=["neither", "past", "both", "naive"],
)
def test_bad_snooze_requests_are_explained(kwargs, field):
    conversation, agent = assigned_conversation()
    with pytest.raises(ApplicationError) as error:
        conversation_snooze(conversation=conversation, actor=agent, **kwargs)
    assert field in error.value.fields
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.OPEN


def test_a_resolved_conversation_cannot_be_snoozed():
    conversation, agent = assigned_conversation()
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.RESOLVED)
    with pytest.raises(ApplicationError) as error:
        conversation_snooze(conversation=conversation, actor=agent, until=datetime(2099, 1, 1, tzinfo=UTC))
    assert error.value.status_code == 409


def test_waking_by_hand_sends_no_personal_event(clock):
    now = clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    conversation, agent = assigned_conversation()
    conversation_snooze(conversation=conversation, actor=agent, until=now + timedelta(hours=1))
    conversation_unsnooze(conversation=conversation, actor=agent)
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.OPEN
    assert not Event.objects.filter(type=SNOOZE_ENDED).exists()
    assert snooze_sweep(now=now + timedelta(hours=2)) == 0


def test_the_sweep_leaves_a_conversation_snoozed_again_later_alone(clock):
    now = clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    conversation, agent = assigned_conversation()
    conversation_snooze(conversation=conversation, actor=agent, until=now + timedelta(hours=5))
    assert conversation_unsnooze(conversation=conversation, due_by=now + timedelta(hours=1)).status == "snoozed"


def test_the_beat_task_runs_the_sweep():
    from conversations.inbox.tasks import snooze_sweep as task

    conversation, agent = assigned_conversation()
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.SNOOZED, snoozed_until=datetime(2020, 1, 1, tzinfo=UTC)
    )
    assert task.delay().get() == 1
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.OPEN
