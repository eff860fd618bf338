"""Inbox actions: each one changes the conversation, leaves a timeline entry, and tells the right agents."""

import pytest

from conversations.inbox.services import actions
from conversations.models import Conversation, Event, Label, Message
from conversations.selectors.core import event_list
from helpdesk.errors import ApplicationError
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(auto_assign=False)


@pytest.fixture
def ana(team):
    agent = AgentFactory(display_name="Ana")
    team.members.add(agent)
    return agent


@pytest.fixture
def ben(team):
    agent = AgentFactory(display_name="Ben")
    team.members.add(agent)
    return agent


@pytest.fixture
def conversation(team):
    return ConversationFactory(inbox=InboxFactory(team=team))


def timeline(conversation) -> list[str]:
    return list(Message.objects.filter(conversation=conversation, sender="system").values_list("body", flat=True))


def test_assigning_writes_who_assigned_whom_in_the_timeline(conversation, ana, ben):
    actions.conversation_assign(conversation=conversation, actor=ana, assignee=ben)
    assert conversation.assignee == ben
    assert timeline(conversation) == ["Ana assigned this to Ben"]
    entry = Message.objects.get(conversation=conversation, event="assigned")
    assert entry.is_private and entry.meta["actor"]["id"] == ana.id


def test_assigning_the_same_agent_twice_writes_one_entry(conversation, ana):
    actions.conversation_assign(conversation=conversation, actor=ana, assignee=ana)
    actions.conversation_assign(conversation=conversation, actor=ana, assignee=ana)
    assert timeline(conversation) == ["Ana took this conversation"]


def test_an_agent_of_another_team_cannot_be_assigned(conversation, ana):
    stranger = AgentFactory()
    TeamFactory().members.add(stranger)
    with pytest.raises(ApplicationError) as error:
        actions.conversation_assign(conversation=conversation, actor=ana, assignee=stranger)
    assert error.value.code == "invalid_assignee"
    assert Conversation.objects.get(pk=conversation.pk).assignee is None


def test_unassigning_tells_the_previous_assignee(conversation, ana, ben):
    actions.conversation_assign(conversation=conversation, actor=ana, assignee=ben)
    actions.conversation_unassign(conversation=conversation, actor=ana)
    assert conversation.assignee is None
    assert timeline(conversation)[-1] == "Ana unassigned Ben"
    updates = [e for e in event_list(agent=ben) if e.type == "conversation.updated"]
    assert updates[-1].payload["change"] == "unassigned"


def test_a_transfer_to_another_team_reaches_both_teams_and_leaves_the_old_one(conversation, ana, ben):
    actions.conversation_assign(conversation=conversation, actor=ana, assignee=ben)
    sales = TeamFactory(name="Sales", auto_assign=False)
    chloe = AgentFactory(display_name="Chloé")
    sales.members.add(chloe)

    actions.conversation_transfer(conversation=conversation, actor=ana, team=sales)

    conversation.refresh_from_db()
    assert conversation.team == sales and conversation.assignee is None
    assert timeline(conversation)[-1] == "Ana transferred this to Sales"
    # The old team hears that it moved away, the new one that it arrived.
    for agent in (ben, chloe):
        last = [e for e in event_list(agent=agent) if e.type == "conversation.updated"][-1]
        assert last.payload["change"] == "transferred"
        assert last.payload["conversation"]["team_id"] == sales.id
    # …and from now on only the new team hears about it.
    actions.conversation_priority_set(conversation=conversation, actor=chloe, priority=3)
    assert all(e.payload.get("change") != "priority" for e in event_list(agent=ben))
    assert event_list(agent=chloe)[-1].payload["change"] == "priority"


def test_a_transfer_to_a_team_with_auto_assign_hands_it_to_a_member(conversation, ana):
    sales = TeamFactory(auto_assign=True)
    dan = AgentFactory()
    sales.members.add(dan)
    actions.conversation_transfer(conversation=conversation, actor=ana, team=sales)
    assert Conversation.objects.get(pk=conversation.pk).assignee == dan


def test_resolving_and_reopening(conversation, ana):
    actions.conversation_resolve(conversation=conversation, actor=ana)
    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.status == "resolved" and stored.resolved_at is not None and stored.waiting_since is None
    actions.conversation_reopen(conversation=conversation, actor=ana)
    stored.refresh_from_db()
    assert stored.status == "open" and stored.resolved_at is None
    assert timeline(conversation) == ["Ana resolved this", "Ana reopened this"]
    changes = [e.payload["change"] for e in Event.objects.filter(type="conversation.updated").order_by("seq")]
    assert changes == ["resolved", "reopened"]


def test_priority_and_labels_are_recorded(conversation, ana):
    billing, vip = Label.objects.create(name="billing"), Label.objects.create(name="vip")
    actions.conversation_priority_set(conversation=conversation, actor=ana, priority=4)
    actions.conversation_labels_set(conversation=conversation, actor=ana, label_ids=[billing.id, vip.id])
    actions.conversation_labels_set(conversation=conversation, actor=ana, label_ids=[vip.id])
    assert list(conversation.labels.values_list("name", flat=True)) == ["vip"]
    assert timeline(conversation) == [
        "Ana set the priority to urgent",
        "Ana added billing, vip",
        "Ana removed billing",
    ]
    with pytest.raises(ApplicationError):
        actions.conversation_priority_set(conversation=conversation, actor=ana, priority=9)
    with pytest.raises(ApplicationError):
        actions.conversation_labels_set(conversation=conversation, actor=ana, label_ids=[99999])


def test_an_agents_own_action_does_not_make_the_conversation_unread(conversation, ana):
    actions.conversation_priority_set(conversation=conversation, actor=ana, priority=2)
    assert Conversation.objects.get(pk=conversation.pk).unread_for_agents == 0


def test_actions_over_the_api(api_client, conversation, ana, ben):
    api_client.force_authenticate(ana)
    url = f"/api/v1/conversations/{conversation.id}/actions/"
    response = api_client.post(url, {"action": "assign", "assignee": ben.id}, format="json")
    assert response.status_code == 200
    assert response.json()["conversation"]["assignee"] == {"id": ben.id, "name": "Ben"}
    response = api_client.post(url, {"action": "resolve"}, format="json")
    assert response.json()["conversation"]["status"] == "resolved"
    response = api_client.post(url, {"action": "explode"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"]["action"]


def test_resolving_refuses_when_the_customer_wrote_after_what_the_agent_saw(api_client, conversation, ana):
    from tests.helpers import message_create

    message_create(conversation=conversation, sender="customer", body="My order is late")
    seen = message_create(conversation=conversation, sender="agent", author=ana, body="Looking into it")[0].seq
    # The customer writes again while the agent clicks "resolve": resolving would bury it.
    message_create(conversation=conversation, sender="customer", body="Actually, cancel it")
    api_client.force_authenticate(ana)
    url = f"/api/v1/conversations/{conversation.id}/actions/"
    response = api_client.post(url, {"action": "resolve", "seen_seq": seen}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "new_messages"
    assert Conversation.objects.get(pk=conversation.pk).status == "open"

    latest = Conversation.objects.get(pk=conversation.pk).last_seq
    # A private note after what the agent saw is not the customer's: it does not stop the resolve.
    message_create(conversation=conversation, sender="agent", author=ana, body="note", is_private=True)
    response = api_client.post(url, {"action": "resolve", "seen_seq": latest}, format="json")
    assert response.status_code == 200
    assert response.json()["conversation"]["status"] == "resolved"
    response = api_client.post(url, {"action": "resolve", "seen_seq": -1}, format="json")
    assert response.status_code == 400


def test_an_agent_cannot_act_on_another_teams_conversation(api_client, ana):
    foreign = ConversationFactory(inbox=InboxFactory(team=TeamFactory()))
    api_client.force_authenticate(ana)
    response = api_client.post(f"/api/v1/conversations/{foreign.id}/actions/", {"action": "resolve"}, format="json")
    assert response.status_code == 404
    assert Conversation.objects.get(pk=foreign.pk).status == "open"


def test_a_private_note_mentioning_an_agent_notifies_only_them(conversation, ana, ben):
    from tests.helpers import message_create

    outsider = AgentFactory(username="outsider")
    TeamFactory().members.add(outsider)
    message_create(
        conversation=conversation,
        sender="agent",
        author=ana,
        body=f"@{ben.username} can you check this? cc @outsider",
        is_private=True,
    )
    mentions = Event.objects.filter(type="mention")
    assert [e.agent_id for e in mentions] == [ben.id]
    assert [e.type for e in event_list(agent=ben)].count("mention") == 1
    assert "mention" not in [e.type for e in event_list(agent=outsider)]
    assert "mention" not in [e.type for e in event_list(agent=ana)]


def test_snoozing_from_the_inbox_goes_through_the_snooze_service(api_client, conversation, ana):
    from datetime import timedelta

    from django.utils import timezone

    api_client.force_authenticate(ana)
    url = f"/api/v1/conversations/{conversation.id}/actions/"
    until = timezone.now() + timedelta(hours=2)
    response = api_client.post(url, {"action": "snooze", "until": until.isoformat()}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["conversation"]["status"] == "snoozed"
    assert Message.objects.filter(conversation=conversation, event="snoozed").exists()
    past = api_client.post(url, {"action": "snooze", "until": "2001-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and past.json()["error"]["fields"]["until"]
