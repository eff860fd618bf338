"""Reads for the chat page, always scoped to the visitor asking: their conversations, their log, our hours."""

import zoneinfo
from datetime import datetime

from django.utils import formats, translation

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


def chat_conversation_get(*, visitor: Visitor, conversation_id) -> Conversation:
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


def _format_when(when: datetime, *, time_zone: str, language: str) -> str:
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = when.astimezone(zone)
    with translation.override(language or "en"):
        return f"{formats.date_format(local, 'l')} {formats.time_format(local, 'H:i')} ({zone.key})"


def chat_availability(*, inbox: Inbox, time_zone: str = "", language: str = "en") -> dict:
    """Open or away before writing, the next opening in the customer's zone, and what to expect after."""
    availability = availability_selectors.inbox_availability(inbox=inbox)
    zone = time_zone or availability.time_zone
    next_open_text = ""
    # The calendar engine's own formatter when it has one; until then a plain local weekday and time.
    formatter = getattr(availability_selectors, "format_next_open", None)
    if availability.next_open is not None:
        if formatter is not None:
            next_open_text = formatter(availability=availability, time_zone=zone, language=language)
        else:
            next_open_text = _format_when(availability.next_open, time_zone=zone, language=language)
    if availability.is_open:
        status_text = inbox.settings.get("open_text") or "We're here. Write to us and we'll answer shortly."
        expectation = inbox.settings.get("reply_time_text") or "We usually reply within a few minutes."
    else:
        status_text = "We're away right now."
        if next_open_text:
            status_text += f" We're back {next_open_text}."
        expectation = (
            f"We'll reply when we're back{' ' + next_open_text if next_open_text else ''}. "
            "If you've left by then, we'll e-mail you."
        )
    return {
        "state": availability.state,
        "is_open": availability.is_open,
        "next_open": availability.next_open.isoformat() if availability.next_open else None,
        "next_open_text": next_open_text,
        "status_text": status_text,
        "expectation": expectation,
        "require_email": bool(inbox.settings.get("require_email_when_away")) and not availability.is_open,
    }
