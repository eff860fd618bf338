"""NUL characters and lone surrogates are refused with a JSON 400 before any view, and nothing is stored."""

import pytest

from conversations.models import Message
from tests.conversations.chat.conftest import ChatClient
from tests.factories import AgentFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox():
    inbox = InboxFactory(kind="webchat")
    inbox.team.members.add(AgentFactory())
    return inbox


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api_client, agent):
    api_client.force_authenticate(agent)
    response = api_client.get("/api/v1/conversations/", {"q": "refund\x00"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid_characters" and "q" in body["error"]["fields"]


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\ud800 alone"'], ids=["nul", "lone-surrogate"])
def test_unstorable_text_in_a_json_field_is_a_400_and_nothing_is_stored(inbox, text):
    visitor = ChatClient(inbox)
    visitor.open()
    response = visitor.client.post(
        visitor.base + "api/messages",
        '{"body": ' + text + ', "client_id": "x-1"}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=visitor.csrf,
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"body": ["Contains a character that cannot be stored."]}
    assert not Message.objects.exists()
    # The same visitor's ordinary message goes through.
    assert visitor.send("an ordinary question", "x-2").status_code == 201


def test_nested_fields_are_named_by_their_path(api_client, agent):
    api_client.force_authenticate(agent)
    response = api_client.post(
        "/api/v1/conversations/1/actions/",
        '{"action": "labels", "labels": [1, "x\\u0000"]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["labels[1]"]
