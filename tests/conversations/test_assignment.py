"""Automatic assignment: least-loaded online agent under capacity, round-robin among ties, returning
customers, the backlog hand-out, redistribution, the unassigned alert, and concurrent assigners."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from conversations.inbox.services.assignment import (
    agent_offline_redistribute,
    conversation_auto_assign,
    team_backlog_assign,
    unassigned_alert_sweep,
)
from conversations.models import Conversation, Event, Message
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.helpers import message_create
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

OFFLINE = Agent.Availability.OFFLINE


@pytest.fixture
def team():
    return TeamFactory(auto_assign=True)


@pytest.fixture
def inbox(team):
    return InboxFactory(team=team)


def member(team, **kwargs) -> Agent:
    agent = AgentFactory(**kwargs)
    team.members.add(agent)
    return agent


def open_conversation(inbox, **kwargs) -> Conversation:
    return ConversationFactory(inbox=inbox, **kwargs)


def test_it_assigns_the_first_customer_message_to_the_least_loaded_online_agent(team, inbox):
    busy, idle = member(team), member(team)
    open_conversation(inbox, assignee=busy)
    conversation = open_conversation(inbox)

    message_create(conversation=conversation, sender="customer", body="Hello?")

    conversation.refresh_from_db()
    assert conversation.assignee == idle
    change = Event.objects.get(type="conversation.updated", conversation=conversation)
    assert change.payload["change"] == "assigned" and change.payload["actor"] is None
    # Routine routing writes no line in the thread: the customer's message stays the last one.
    assert conversation.last_seq == 1


def test_the_assignment_rides_along_with_the_message_event(team, inbox):
    agent = member(team)
    conversation = open_conversation(inbox)
    message_create(conversation=conversation, sender="customer", body="Hello?")
    event = Event.objects.filter(type="message.created", payload__message__sender="customer").get()
    assert event.payload["conversation"]["assignee_id"] == agent.id
    assert event.assignee_id == agent.id


def test_it_skips_offline_agents_and_agents_at_capacity(team, inbox):
    member(team, availability=OFFLINE)
    full = member(team, capacity=1)
    open_conversation(inbox, assignee=full)
    assert conversation_auto_assign(conversation=open_conversation(inbox)) is None


def test_it_takes_turns_among_equally_loaded_agents(team, inbox):
    first, second = member(team), member(team)
    picks = []
    for _ in range(4):
        conversation = open_conversation(inbox)
        picks.append(conversation_auto_assign(conversation=conversation))
        Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.RESOLVED)
    assert picks == [first, second, first, second]


def test_a_returning_customer_goes_back_to_their_previous_agent(team, inbox):
    previous, other = member(team), member(team)
    customer = CustomerFactory()
    open_conversation(inbox, customer=customer, assignee=previous, status=Conversation.Status.RESOLVED)
    open_conversation(inbox, assignee=previous)  # previous is now busier than other
    assert conversation_auto_assign(conversation=open_conversation(inbox, customer=customer)) == previous
    assert conversation_auto_assign(conversation=open_conversation(inbox)) == other


def test_a_returning_customer_goes_to_someone_else_when_their_agent_is_offline(team, inbox):
    previous, other = member(team, availability=OFFLINE), member(team)
    customer = CustomerFactory()
    open_conversation(inbox, customer=customer, assignee=previous, status=Conversation.Status.RESOLVED)
    assert conversation_auto_assign(conversation=open_conversation(inbox, customer=customer)) == other


def test_it_leaves_teams_without_auto_assign_alone(inbox, team):
    team.auto_assign = False
    team.save()
    member(team)
    conversation = open_conversation(inbox)
    message_create(conversation=conversation, sender="customer", body="Anyone?")
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_the_backlog_goes_out_oldest_first_as_far_as_capacity_allows(team, inbox):
    now = timezone.now()
    agent = member(team, capacity=2, availability=OFFLINE)
    newest = open_conversation(inbox, waiting_since=now - timedelta(minutes=1))
    oldest = open_conversation(inbox, waiting_since=now - timedelta(minutes=30))
    middle = open_conversation(inbox, waiting_since=now - timedelta(minutes=10))
    Agent.objects.filter(pk=agent.pk).update(availability=Agent.Availability.ONLINE)

    assert team_backlog_assign(team=team) == 2

    assigned = set(Conversation.objects.filter(assignee=agent).values_list("id", flat=True))
    assert assigned == {oldest.id, middle.id}
    newest.refresh_from_db()
    assert newest.assignee is None


def test_an_offline_agents_conversations_are_redistributed_when_the_team_asks(team, inbox):
    team.redistribute_on_offline = True
    team.save()
    leaving, staying = member(team), member(team)
    conversations = [open_conversation(inbox, assignee=leaving) for _ in range(2)]
    Agent.objects.filter(pk=leaving.pk).update(availability=OFFLINE)
    leaving.refresh_from_db()

    assert agent_offline_redistribute(agent=leaving) == 2

    for conversation in conversations:
        conversation.refresh_from_db()
        assert conversation.assignee == staying
        assert Message.objects.filter(conversation=conversation, event="unassigned").exists()


def test_conversations_stay_with_an_offline_agent_unless_the_team_asks(team, inbox):
    leaving = member(team)
    member(team)
    conversation = open_conversation(inbox, assignee=leaving)
    assert agent_offline_redistribute(agent=leaving) == 0
    conversation.refresh_from_db()
    assert conversation.assignee == leaving


def test_it_alerts_the_team_once_about_a_conversation_waiting_unassigned_too_long(team, inbox):
    team.unassigned_alert_minutes = 10
    team.save()
    now = timezone.now()
    late = open_conversation(inbox, waiting_since=now - timedelta(minutes=11))
    open_conversation(inbox, waiting_since=now - timedelta(minutes=5))

    assert unassigned_alert_sweep(now=now) == 1
    assert unassigned_alert_sweep(now=now + timedelta(minutes=1)) == 0

    alert = Event.objects.get(type="conversation.unassigned_alert")
    assert alert.conversation_id == late.id and alert.team_id == team.id and alert.agent_id is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_assigners_never_double_assign_nor_exceed_capacity():
    need_postgres()
    team = TeamFactory(auto_assign=True)
    inbox = InboxFactory(team=team)
    agents = [member(team, capacity=3) for _ in range(3)]
    conversations = [open_conversation(inbox, waiting_since=timezone.now()) for _ in range(12)]
    barrier = threading.Barrier(6)
    errors = []

    def assign(chunk):
        try:
            barrier.wait(timeout=10)
            for conversation in chunk:
                conversation_auto_assign(conversation=conversation)
            team_backlog_assign(team=team)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # Every thread tries every conversation, in a different order.
    threads = [threading.Thread(target=assign, args=(conversations[i:] + conversations[:i],)) for i in range(0, 12, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    loads = {agent.id: Conversation.objects.filter(assignee=agent).count() for agent in agents}
    assert all(load <= 3 for load in loads.values()), loads
    assert sum(loads.values()) == 9
    changes = Event.objects.filter(type="conversation.updated", payload__change="assigned")
    assigned = [event.conversation_id for event in changes]
    assert len(assigned) == len(set(assigned)) == 9
