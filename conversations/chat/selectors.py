"""Reads for the chat page, always scoped to the visitor asking: their conversations, their log, our hours."""

from typing import Any

from conversations import payloads
from conversations.models import Conversation, Inbox, Message, Visitor
from conversations.selectors import availability as availability_selectors
from conversations.selectors.core import message_list
from helpdesk.errors import ApplicationError


def chat_conversation_list(*, visitor: Visitor, limit: int = 20) -> list[Conversation]:
    """The customer's conversations in this inbox, newest first (on every device they use)."""
    return list(
        Conversation.objects.filter(inbox_id=visitor.inbox_id, customer_id=visitor.customer_id).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def chat_conversation_get(*, visitor: Visitor, conversation_id: Any) -> Conversation:
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        conversation_id = 0
    conversation = Conversation.objects.filter(
        pk=conversation_id, inbox_id=visitor.inbox_id, customer_id=visitor.customer_id
    ).first()
    if conversation is None:
        raise ApplicationError("No such conversation in this chat.", code="not_found", status_code=404)
    return conversation


def chat_message_list(*, conversation: Conversation, after_seq: int = 0, limit: int = 100) -> list[Message]:
    """Public messages only: private notes never leave the agents' side."""
    return message_list(conversation=conversation, after_seq=after_seq, limit=limit, include_private=False)


def chat_availability(*, inbox: Inbox, time_zone: str = "", language: str = "en") -> payloads.AvailabilityPayload:
    """Open or away before writing, the next opening in the customer's zone, and what to expect after."""
    availability = availability_selectors.inbox_availability(inbox=inbox)
    return payloads.availability_payload(availability, time_zone=time_zone or None, language=language, inbox=inbox)
