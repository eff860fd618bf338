"""WhatsApp Cloud API: signed webhooks in, Graph API sends out, statuses and idempotent retries."""

import json

import pytest

from conversations.connectors.meta import signature_for
from conversations.inbox.services.actions import conversation_resolve
from conversations.models import Conversation, Event, Message
from customers.models import ChannelIdentity
from tests.factories import AgentFactory, InboxFactory
from tests.fakes import FakeServer
from tests.helpers import message_create

pytestmark = pytest.mark.django_db

APP_SECRET = "whatsapp-app-secret"
PHONE_NUMBER_ID = "106540352242922"


@pytest.fixture
def inbox():
    return InboxFactory(
        kind="whatsapp",
        slug="wa",
        external_id=PHONE_NUMBER_ID,
        settings={"access_token": "EAAG-token", "app_secret": APP_SECRET, "verify_token": "let-me-in"},
    )


def webhook_body(
    *, wamid="wamid.HBgL1", text="Hello, is my order on its way?", statuses=None, phone_number_id=PHONE_NUMBER_ID
):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
    }
    if text is not None:
        value["contacts"] = [{"profile": {"name": "Kerry Fisher"}, "wa_id": "16315551181"}]
        value["messages"] = [
            {"from": "16315551181", "id": wamid, "timestamp": "1749416383", "type": "text", "text": {"body": text}}
        ]
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def post(client, payload, secret=APP_SECRET, **extra):
    body = json.dumps(payload).encode()
    return client.post(
        "/hooks/whatsapp/wa/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature_for(secret, body),
        **extra,
    )


def test_it_answers_the_verification_handshake_only_with_the_right_token(client, inbox):
    ok = client.get(
        "/hooks/whatsapp/wa/", {"hub.mode": "subscribe", "hub.verify_token": "let-me-in", "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = client.get(
        "/hooks/whatsapp/wa/", {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "x"}
    )
    assert bad.status_code == 403
    assert bad.json()["error"]["code"] == "verification_failed"


def test_an_inbound_message_creates_the_customer_and_the_conversation(client, inbox):
    response = post(client, webhook_body())
    assert response.status_code == 200, response.content
    message = Message.objects.get()
    assert message.body == "Hello, is my order on its way?"
    assert message.sender == "customer" and message.external_id == "wamid.HBgL1"
    identity = ChannelIdentity.objects.get(kind="whatsapp", address="16315551181")
    assert identity.customer.name == "Kerry Fisher"
    assert message.conversation.customer_id == identity.customer_id


def test_a_retried_webhook_stores_the_message_once(client, inbox):
    post(client, webhook_body())
    again = post(client, webhook_body())
    assert again.json()["stored"] == 0
    assert Message.objects.count() == 1


def test_a_replayed_webhook_does_not_reopen_a_resolved_conversation_nor_store_twice(client, inbox):
    post(client, webhook_body())
    conversation = conversation_resolve(conversation=Conversation.objects.get(), actor=AgentFactory())
    assert conversation.status == Conversation.Status.RESOLVED

    again = post(client, webhook_body())

    assert again.status_code == 200 and again.json()["stored"] == 0
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED and conversation.resolved_at is not None
    assert Message.objects.filter(sender="customer").count() == 1
    assert not Event.objects.filter(type="conversation.reopened").exists()


def test_webhooks_are_rate_limited_per_real_client_address(client, inbox, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "inbound_webhook": "1/min"},
    }
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Every request reaches us from the same proxy; the limit counts the address it forwards.
    first = post(client, webhook_body(wamid="wamid.1"), HTTP_X_FORWARDED_FOR="203.0.113.7")
    other = post(client, webhook_body(wamid="wamid.2"), HTTP_X_FORWARDED_FOR="198.51.100.4")
    refused = post(client, webhook_body(wamid="wamid.3"), HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert first.status_code == 200 and other.status_code == 200
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert not Message.objects.filter(external_id="wamid.3").exists()


def test_a_bad_signature_is_refused_and_nothing_is_stored(client, inbox):
    response = post(client, webhook_body(), secret="not-the-secret")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert Message.objects.count() == 0


def test_messages_for_another_phone_number_are_ignored(client, inbox):
    post(client, webhook_body(phone_number_id="999"))
    assert Message.objects.count() == 0


def test_a_second_message_continues_the_same_conversation(client, inbox):
    post(client, webhook_body(wamid="wamid.1"))
    post(client, webhook_body(wamid="wamid.2", text="Any news?"))
    assert Conversation.objects.count() == 1
    assert list(Message.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]


@pytest.fixture
def graph(settings):
    server = FakeServer(
        lambda request: (
            200,
            {},
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": request["json"]["to"], "wa_id": request["json"]["to"]}],
                "messages": [{"id": "wamid.OUTBOUND1"}],
            },
        )
    )
    settings.WHATSAPP_GRAPH_URL = server.url + "/v21.0"
    yield server
    server.close()


def test_an_agent_reply_is_sent_through_the_graph_api_and_its_status_follows(
    client, inbox, graph, django_capture_on_commit_callbacks
):
    post(client, webhook_body())
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply, _ = message_create(
            conversation=conversation, sender="agent", author=AgentFactory(), body="It ships today."
        )
    [request] = graph.requests
    assert request["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert request["headers"]["Authorization"] == "Bearer EAAG-token"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16315551181",
        "type": "text",
        "text": {"preview_url": False, "body": "It ships today."},
    }
    reply.refresh_from_db()
    assert reply.external_id == "wamid.OUTBOUND1" and reply.delivery_status == "sent"

    statuses = [{"id": "wamid.OUTBOUND1", "status": "read", "timestamp": "1749416400", "recipient_id": "16315551181"}]
    post(client, webhook_body(text=None, statuses=statuses))
    reply.refresh_from_db()
    conversation.refresh_from_db()
    assert reply.delivery_status == "read"
    assert conversation.customer_read_seq == reply.seq


def test_a_private_note_is_never_sent_to_whatsapp(client, inbox, graph, django_capture_on_commit_callbacks):
    post(client, webhook_body())
    with django_capture_on_commit_callbacks(execute=True):
        message_create(
            conversation=Conversation.objects.get(), sender="agent", author=AgentFactory(), body="note", is_private=True
        )
    assert graph.requests == []


def test_a_refused_send_marks_the_message_failed_with_the_reason(
    client, inbox, settings, django_capture_on_commit_callbacks
):
    error = {"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}}
    server = FakeServer(lambda request: (400, {}, error))
    settings.WHATSAPP_GRAPH_URL = server.url
    try:
        post(client, webhook_body())
        with django_capture_on_commit_callbacks(execute=True):
            reply, _ = message_create(
                conversation=Conversation.objects.get(), sender="agent", author=AgentFactory(), body="late"
            )
        reply.refresh_from_db()
        assert reply.delivery_status == "failed"
        assert "24 hours" in reply.meta["delivery_error"]
    finally:
        server.close()
