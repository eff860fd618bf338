"""The REST API: catch-up after a seq, agent replies, errors as JSON, and scoping to what an agent may see."""

import pytest

from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


def url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.id}/messages/"


@pytest.fixture
def conversation(agent):
    inbox = InboxFactory(team=agent.teams.first())
    conversation = ConversationFactory(inbox=inbox)
    for i in range(5):
        message_create(conversation=conversation, sender="customer", body=f"message {i}")
    return conversation


def test_it_requires_authentication(api_client, conversation):
    response = api_client.get(url(conversation))
    # No credentials: 401 with the challenge (403 is for an agent who may not see it).
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_returns_the_messages_after_a_seq(api_client, agent, conversation):
    api_client.force_authenticate(agent)
    response = api_client.get(url(conversation), {"after_seq": 3})
    assert response.status_code == 200
    assert [m["seq"] for m in response.json()["messages"]] == [4, 5]
    assert response.json()["last_seq"] == 5


def test_it_pages_with_a_limit(api_client, agent, conversation):
    api_client.force_authenticate(agent)
    response = api_client.get(url(conversation), {"after_seq": 0, "limit": 2})
    assert [m["seq"] for m in response.json()["messages"]] == [1, 2]


@pytest.mark.parametrize("params", [{"after_seq": "abc"}, {"after_seq": -1}, {"limit": 0}])
def test_it_explains_a_bad_cursor(api_client, agent, conversation, params):
    api_client.force_authenticate(agent)
    response = api_client.get(url(conversation), params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and body["message"]


def test_an_agent_posts_a_reply_once_even_when_resent(api_client, agent, conversation):
    api_client.force_authenticate(agent)
    first = api_client.post(url(conversation), {"body": "Hello!", "client_id": "abc"}, format="json")
    second = api_client.post(url(conversation), {"body": "Hello!", "client_id": "abc"}, format="json")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["seq"] == second.json()["seq"] == 6


def test_an_empty_reply_is_refused_with_a_field_error(api_client, agent, conversation):
    api_client.force_authenticate(agent)
    response = api_client.post(url(conversation), {"body": ""}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]


def test_an_agent_cannot_see_another_teams_conversation(api_client, conversation):
    outsider = AgentFactory()
    TeamFactory().members.add(outsider)
    api_client.force_authenticate(outsider)
    response = api_client.get(url(conversation))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_event_log_returns_only_visible_events_after_a_cursor(api_client, agent, conversation):
    outsider_conversation = ConversationFactory(inbox=InboxFactory(team=TeamFactory()))
    message_create(conversation=outsider_conversation, sender="customer", body="secret")
    api_client.force_authenticate(agent)
    response = api_client.get("/api/v1/events/", {"after": 0})
    events = response.json()["events"]
    assert events, "the agent should see their team's events"
    assert all(e["conversation_id"] != outsider_conversation.id for e in events)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)
    later = api_client.get("/api/v1/events/", {"after": seqs[-2]}).json()["events"]
    assert [e["seq"] for e in later] == [seqs[-1]]


def test_the_schema_and_docs_are_served(client, agent):
    client.force_login(agent)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
