"""Delivery states: they only move forward, failed is final, and each move is a message.status event."""

import json

import pytest

from conversations.connectors.meta import signature_for
from conversations.models import Event, Message
from conversations.realtime import agent_group, team_group
from conversations.services.delivery import message_delivery_set
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, MessageFactory

pytestmark = pytest.mark.django_db

APP_SECRET = "whatsapp-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def status_events() -> list[dict]:
    return [e.payload for e in Event.objects.filter(type="message.status").order_by("seq")]


def agent_reply(conversation, **kwargs) -> Message:
    return MessageFactory(
        conversation=conversation, sender="agent", body="It ships today.", delivery_status="pending", **kwargs
    )


def test_each_delivery_state_is_a_message_status_event_for_the_conversations_agents(
    broadcasts, django_capture_on_commit_callbacks
):
    assignee = AgentFactory()
    conversation = ConversationFactory(assignee=assignee)
    reply = agent_reply(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        for status in ("sent", "delivered", "read"):
            assert message_delivery_set(message=reply, status=status)
    assert status_events() == [
        {"message_id": reply.id, "conversation_id": conversation.id, "seq": reply.seq, "status": s, "error": ""}
        for s in ("sent", "delivered", "read")
    ]
    groups = {group for group, message in broadcasts if message["frame"].get("event") == "message.status"}
    assert groups == {"agents.supervisors", team_group(conversation.team_id), agent_group(assignee.id)}


def test_a_state_never_moves_back_and_failed_is_final():
    reply = agent_reply(ConversationFactory())
    assert message_delivery_set(message=reply, status="delivered")
    assert not message_delivery_set(message=reply, status="sent")
    assert message_delivery_set(message=reply, status="failed", error="the number is not on WhatsApp")
    assert not message_delivery_set(message=reply, status="read")
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and reply.meta["delivery_error"] == "the number is not on WhatsApp"
    assert [e["status"] for e in status_events()] == ["delivered", "failed"]
    assert status_events()[-1]["error"] == "the number is not on WhatsApp"


def test_a_failed_whatsapp_status_keeps_the_platforms_reason(client):
    inbox = InboxFactory(kind="whatsapp", slug="wa", external_id=PHONE_NUMBER_ID, settings={"app_secret": APP_SECRET})
    reply = agent_reply(ConversationFactory(inbox=inbox), external_id="wamid.OUT1")
    failed = {
        "id": "wamid.OUT1",
        "status": "failed",
        "timestamp": "1749416400",
        "recipient_id": "16315551181",
        "errors": [
            {
                "code": 131047,
                "title": "Re-engagement message",
                "message": "Re-engagement message",
                "error_data": {"details": "More than 24 hours have passed since the customer last replied."},
            }
        ],
    }
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_NUMBER_ID}, "statuses": [failed]}
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
    ).encode()
    response = client.post(
        "/hooks/whatsapp/wa/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature_for(APP_SECRET, body),
    )
    assert response.json()["statuses"] == 1
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert reply.meta["delivery_error"] == "More than 24 hours have passed since the customer last replied."
    assert status_events()[-1]["error"] == reply.meta["delivery_error"]
