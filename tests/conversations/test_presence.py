"""Presence: set by the agent, kept by the heartbeat's TTL, swept offline when it lapses."""

import pytest
from django.core.cache import cache

from conversations.inbox.services.presence import (
    agent_presence_connected,
    agent_presence_heartbeat,
    agent_presence_set,
    presence_key,
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
    key = cache.make_key(presence_key(agent.id))
    assert 1000 < cache._cache.get_client(key).ttl(key) <= 1234


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
