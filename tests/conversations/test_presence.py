"""Presence: set by the agent, kept by the heartbeat's TTL, swept offline when it lapses."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from conversations.inbox.services.assignment import offline_assignees_release
from conversations.inbox.services.presence import (
    agent_presence_connected,
    agent_presence_heartbeat,
    agent_presence_is_alive,
    agent_presence_set,
    presence_sweep,
)
from conversations.models import Conversation
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory

pytestmark = pytest.mark.django_db

ONLINE, AWAY, OFFLINE = "online", "away", "offline"


def test_the_sweep_turns_agents_whose_heartbeat_lapsed_offline(settings):
    alive, lapsed, away_lapsed = AgentFactory(), AgentFactory(), AgentFactory(availability=AWAY)
    agent_presence_heartbeat(agent=alive)

    assert presence_sweep() == 2

    states = dict(Agent.objects.filter(pk__in=[alive.pk, lapsed.pk, away_lapsed.pk]).values_list("pk", "availability"))
    assert states == {alive.pk: ONLINE, lapsed.pk: OFFLINE, away_lapsed.pk: OFFLINE}


def test_the_heartbeat_lives_for_the_configured_ttl(settings):
    settings.PRESENCE_TTL_SECONDS = 1234
    agent = AgentFactory()
    agent_presence_heartbeat(agent=agent)
    seen = Agent.objects.get(pk=agent.pk).presence_seen_at
    Agent.objects.filter(pk=agent.pk).update(presence_seen_at=seen - timedelta(seconds=1200))
    assert agent_presence_is_alive(agent_id=agent.id)
    assert presence_sweep() == 0
    Agent.objects.filter(pk=agent.pk).update(presence_seen_at=seen - timedelta(seconds=1240))
    assert not agent_presence_is_alive(agent_id=agent.id)
    assert presence_sweep() == 1


def test_a_redis_restart_changes_nobodys_presence():
    alive, chose_offline = AgentFactory(), AgentFactory()
    agent_presence_heartbeat(agent=alive)
    agent_presence_set(agent=chose_offline, availability=OFFLINE)
    cache.clear()  # what a Redis restart does to every key
    assert presence_sweep() == 0
    assert Agent.objects.get(pk=alive.pk).availability == ONLINE
    agent_presence_connected(agent=chose_offline)
    assert Agent.objects.get(pk=chose_offline.pk).availability == OFFLINE


def test_presence_changes_are_broadcast_to_the_agents_teams(broadcasts, django_capture_on_commit_callbacks):
    team = TeamFactory()
    agent = AgentFactory(availability=OFFLINE)
    team.members.add(agent)
    with django_capture_on_commit_callbacks(execute=True):
        agent_presence_set(agent=agent, availability=AWAY)
    groups = {group for group, message in broadcasts if message["frame"]["type"] == "presence"}
    assert groups == {"agents.supervisors", f"agent.{agent.id}", f"team.{team.id}"}


def test_coming_online_hands_out_the_waiting_backlog():
    team = TeamFactory(auto_assign=True)
    agent = AgentFactory(availability=OFFLINE)
    team.members.add(agent)
    waiting = ConversationFactory(inbox=InboxFactory(team=team))
    agent_presence_set(agent=agent, availability=ONLINE)
    waiting.refresh_from_db()
    assert waiting.assignee == agent


def test_going_offline_redistributes_when_the_team_asks():
    team = TeamFactory(redistribute_on_offline=True)
    leaving, staying = AgentFactory(), AgentFactory()
    team.members.add(leaving, staying)
    conversation = ConversationFactory(inbox=InboxFactory(team=team), assignee=leaving)
    agent_presence_set(agent=leaving, availability=OFFLINE)
    assert Conversation.objects.get(pk=conversation.pk).assignee == staying


def test_an_agent_who_chose_offline_stays_offline_when_the_inbox_reconnects():
    agent = AgentFactory()
    agent_presence_set(agent=agent, availability=OFFLINE)
    agent_presence_connected(agent=agent)
    assert Agent.objects.get(pk=agent.pk).availability == OFFLINE


def test_an_agent_swept_offline_comes_back_online_when_the_inbox_reconnects():
    agent = AgentFactory()
    presence_sweep()
    assert Agent.objects.get(pk=agent.pk).availability == OFFLINE
    agent_presence_connected(agent=agent)
    assert Agent.objects.get(pk=agent.pk).availability == ONLINE


def test_an_unknown_presence_is_refused():
    with pytest.raises(ApplicationError) as error:
        agent_presence_set(agent=AgentFactory(), availability="busy")
    assert error.value.fields == {"availability": ["Unknown value."]}


def test_an_agent_sets_presence_over_the_api(api_client):
    agent = AgentFactory(availability=OFFLINE)
    api_client.force_authenticate(agent)
    response = api_client.post("/api/v1/presence/", {"availability": "away"}, format="json")
    assert response.status_code == 200 and response.json() == {"availability": "away"}
    assert Agent.objects.get(pk=agent.pk).availability == AWAY


def test_an_agent_offline_past_the_grace_period_hands_their_conversations_back():
    team = TeamFactory(auto_assign=True)  # the default: release after 30 minutes
    assert team.release_after_offline_minutes == 30
    gone, colleague, recent = AgentFactory(), AgentFactory(), AgentFactory()
    team.members.add(gone, colleague, recent)
    inbox = InboxFactory(team=team)
    stranded = ConversationFactory(inbox=inbox, team=team, assignee=gone)
    kept = ConversationFactory(inbox=inbox, team=team, assignee=recent)
    agent_presence_set(agent=gone, availability=OFFLINE)  # went home, by choice
    agent_presence_set(agent=recent, availability=OFFLINE, by_agent=False)  # lost the network a minute ago
    agent_presence_heartbeat(agent=colleague)
    Agent.objects.filter(pk=gone.pk).update(offline_since=timezone.now() - timedelta(minutes=31))

    assert offline_assignees_release() == 1
    assert Conversation.objects.get(pk=stranded.pk).assignee == colleague
    assert Conversation.objects.get(pk=kept.pk).assignee == recent
    assert offline_assignees_release() == 0


def test_with_nobody_online_a_released_conversation_waits_in_the_team_queue_and_a_team_may_opt_out():
    queue_team = TeamFactory(auto_assign=True)
    keeping_team = TeamFactory(auto_assign=True, release_after_offline_minutes=None)
    gone = AgentFactory()
    queue_team.members.add(gone)
    keeping_team.members.add(gone)
    released = ConversationFactory(inbox=InboxFactory(team=queue_team), team=queue_team, assignee=gone)
    kept = ConversationFactory(inbox=InboxFactory(team=keeping_team), team=keeping_team, assignee=gone)
    agent_presence_set(agent=gone, availability=OFFLINE)
    Agent.objects.filter(pk=gone.pk).update(offline_since=timezone.now() - timedelta(hours=3))

    assert offline_assignees_release() == 1
    assert Conversation.objects.get(pk=released.pk).assignee is None
    assert Conversation.objects.get(pk=kept.pk).assignee == gone
    # Coming back online clears the clock: nothing of theirs is released while they are here.
    agent_presence_set(agent=gone, availability=ONLINE)
    assert Agent.objects.get(pk=gone.pk).offline_since is None
