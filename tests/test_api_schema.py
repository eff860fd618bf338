"""The OpenAPI schema describes what the API really answers: each answer's keys, nested ones included,
are the properties the schema gives for it."""

import pytest

from conversations.models import Label
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api_client):
    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    customer = CustomerFactory()
    conversation = ConversationFactory(inbox=InboxFactory(team=team), customer=customer)
    conversation.labels.add(Label.objects.create(name="billing"))
    ConversationFactory(inbox=InboxFactory(team=team), customer=customer)  # fills the panel's other list
    message_create(conversation=conversation, sender="customer", body="Where is my parcel?")
    message_create(conversation=conversation, sender="agent", author=agent, body="On its way.")
    message_create(conversation=conversation, sender="agent", author=agent, body="note", is_private=True)
    api_client.force_authenticate(agent)
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    return api_client, schema.json(), conversation, customer


def _resolve(schema: dict, node: dict) -> dict:
    nullable = bool(node.get("nullable"))
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in node or "oneOf" in node:
            # Nullable nested serializers are wrapped: {"allOf": [{"$ref": …}], "nullable": true}.
            options = [o for o in node.get("allOf", node.get("oneOf", [])) if o.get("type") != "null"]
            node = options[0]
        else:
            return {**node, "nullable": nullable or bool(node.get("nullable"))}
        nullable = nullable or bool(node.get("nullable"))


def answer_schema(schema: dict, path: str, method: str = "get", status: str = "200") -> dict:
    operation = schema["paths"][path][method]
    return _resolve(schema, operation["responses"][status]["content"]["application/json"]["schema"])


def assert_described(schema: dict, node: dict, value, where: str = "answer") -> None:
    """``value`` has exactly the documented keys (optional ones may be missing), recursively."""
    node = _resolve(schema, node)
    if value is None:
        assert node["nullable"], f"{where} is null but not nullable"
        return
    if node.get("type") == "array":
        assert isinstance(value, list), where
        for index, item in enumerate(value[:3]):
            assert_described(schema, node["items"], item, f"{where}[{index}]")
        return
    properties = node.get("properties")
    if node.get("type") == "object" and properties is not None:
        assert isinstance(value, dict), where
        documented, required = set(properties), set(node.get("required", []))
        assert set(value) <= documented, f"{where}: undocumented {set(value) - documented}"
        assert required <= set(value), f"{where}: documented but missing {required - set(value)}"
        for key, item in value.items():
            assert_described(schema, properties[key], item, f"{where}.{key}")


def check(schema: dict, path: str, response, *, method: str = "get", status: str = "200") -> dict:
    assert str(response.status_code) == status, response.content
    data = response.json()
    assert_described(schema, answer_schema(schema, path, method, status), data, f"{method.upper()} {path}")
    return data


def test_the_inbox_list_row_and_thread_are_described_field_for_field(world):
    client, schema, conversation, _ = world
    page = check(schema, "/api/v1/inbox/conversations/", client.get("/api/v1/inbox/conversations/"))
    assert len(page["results"][0]) > 20  # the whole row, not an id and a status
    row = "/api/v1/inbox/conversations/{conversation_id}/"
    check(schema, row, client.get(f"/api/v1/inbox/conversations/{conversation.id}/"))
    thread = check(
        schema,
        "/api/v1/inbox/conversations/{conversation_id}/thread/",
        client.get(f"/api/v1/inbox/conversations/{conversation.id}/thread/"),
    )
    assert thread["panel"]["other_conversations"] and thread["conversation"]["labels"]
    check(schema, "/api/v1/inbox/counts/", client.get("/api/v1/inbox/counts/"))


def test_the_message_log_is_described_as_the_object_it_is(world):
    client, schema, conversation, _ = world
    path = "/api/v1/conversations/{conversation_id}/messages/"
    data = check(schema, path, client.get(f"/api/v1/conversations/{conversation.id}/messages/"))
    assert answer_schema(schema, path)["type"] == "object"
    assert len(data["messages"]) == 3
    check(
        schema,
        path,
        client.post(f"/api/v1/conversations/{conversation.id}/messages/", {"body": "Hi"}, format="json"),
        method="post",
        status="201",
    )


def test_an_actions_answer_and_the_conversation_detail_are_described(world):
    client, schema, conversation, _ = world
    path = "/api/v1/conversations/{conversation_id}/actions/"
    data = check(
        schema,
        path,
        client.post(f"/api/v1/conversations/{conversation.id}/actions/", {"action": "resolve"}, format="json"),
        method="post",
    )
    assert data["conversation"]["status"] == "resolved"
    check(schema, "/api/v1/conversations/{conversation_id}/", client.get(f"/api/v1/conversations/{conversation.id}/"))
    check(
        schema,
        "/api/v1/conversations/{conversation_id}/read/",
        client.post(f"/api/v1/conversations/{conversation.id}/read/", {"seq": 1}, format="json"),
        method="post",
    )


def test_the_event_log_status_and_presence_are_described(world):
    client, schema, _, _ = world
    data = check(schema, "/api/v1/events/", client.get("/api/v1/events/"))
    assert data["events"]
    status = check(schema, "/api/v1/status/", client.get("/api/v1/status/"))
    assert status["teams"]
    inbox = InboxFactory()
    check(schema, "/api/v1/status/inboxes/{slug}/", client.get(f"/api/v1/status/inboxes/{inbox.slug}/"))
    check(
        schema,
        "/api/v1/presence/",
        client.post("/api/v1/presence/", {"availability": "away"}, format="json"),
        method="post",
    )
    check(schema, "/api/v1/canned-responses/", client.get("/api/v1/canned-responses/"))


def test_customer_answers_are_described(world):
    client, schema, _, customer = world
    check(schema, "/api/v1/customers/", client.get("/api/v1/customers/"))
    check(schema, "/api/v1/customers/{customer_id}/", client.get(f"/api/v1/customers/{customer.id}/"))
    history = check(
        schema, "/api/v1/customers/{customer_id}/history/", client.get(f"/api/v1/customers/{customer.id}/history/")
    )
    assert history["conversations"]
    note = client.post(f"/api/v1/customers/{customer.id}/notes/", {"body": "VIP"}, format="json")
    check(schema, "/api/v1/customers/{customer_id}/notes/", note, method="post", status="201")
