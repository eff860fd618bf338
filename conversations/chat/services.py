"""Writes from the chat page: customer messages (new or continued conversations), profile, reads, typing."""

import zoneinfo
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from conversations import payloads, realtime
from conversations.chat.email_fallback import email_fallback_cancel_if_seen
from conversations.models import Conversation, Inbox, Visitor
from conversations.selectors.availability import inbox_availability
from conversations.services.messages import (
    conversation_mark_read,
)
from customers.models import Customer
from helpdesk.errors import ApplicationError

CONTEXT_FIELDS = {"time_zone": 64, "language": 35, "page_url": 2000, "referrer": 2000, "user_agent": 500}


def chat_context_clean(*, raw: dict[str, Any] | None, user_agent: str = "") -> dict[str, str]:
    """What the browser told us, trimmed to known keys and sane lengths; bad values are dropped, not fatal."""
    raw = raw if isinstance(raw, dict) else {}
    context: dict[str, str] = {}
    for field, limit in CONTEXT_FIELDS.items():
        value = raw.get(field)
        if isinstance(value, str) and value.strip():
            context[field] = value.strip()[:limit]
    if user_agent:
        context["user_agent"] = user_agent[: CONTEXT_FIELDS["user_agent"]]
    for field in ("page_url", "referrer"):
        if field in context and not context[field].lower().startswith(("http://", "https://")):
            del context[field]
    if "time_zone" in context:
        try:
            zoneinfo.ZoneInfo(context["time_zone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            del context["time_zone"]
    return context


def chat_email_required(*, inbox: Inbox, customer: Customer) -> bool:
    if customer.email or not inbox.settings.get("require_email_when_away"):
        return False
    return not inbox_availability(inbox=inbox).is_open


def chat_new_conversation_check(*, inbox: Inbox, customer: Customer) -> None:
    """Refuse to start a conversation while away when the inbox needs an address we do not have."""
    if chat_email_required(inbox=inbox, customer=customer):
        raise ApplicationError(
            "We are away right now: leave your e-mail address so our reply can reach you.",
            code="email_required",
            fields={"email": ["Required while we are away."]},
        )


def chat_conversation_announce(*, visitor: Visitor, conversation: Conversation) -> None:
    """On commit, tell every tab of the visitor about the conversation their message started."""
    frame = payloads.conversation_frame(conversation)
    key = visitor.key
    # Every tab of this visitor joins the new conversation's group when it hears this.
    transaction.on_commit(lambda: realtime.broadcast_to_visitor(key, frame))


def chat_profile_update(*, visitor: Visitor, name: str | None = None, email: str | None = None) -> Customer:
    """Pre-chat details. A verified customer's name and e-mail come from the company and stay as they are."""
    customer = visitor.customer
    updates = {}
    if name is not None:
        name = str(name).strip()
        if len(name) > 200:
            raise ApplicationError("A name can be at most 200 characters.", fields={"name": ["Too long."]})
        if name and not visitor.verified:
            updates["name"] = name
    if email is not None:
        email = str(email).strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise ApplicationError(
                    "That e-mail address does not look right.", fields={"email": ["Enter a valid e-mail address."]}
                ) from None
            if not visitor.verified or not customer.email:
                updates["email"] = email
    if updates:
        Customer.objects.filter(pk=customer.pk).update(**updates)
        for field, value in updates.items():
            setattr(customer, field, value)
    return customer


def chat_mark_read(*, conversation: Conversation, seq: int) -> Conversation:
    """The customer has seen the log up to ``seq``: a read receipt for agents, and no e-mail for it."""
    with transaction.atomic():
        conv = conversation_mark_read(conversation=conversation, seq=seq, by_customer=True)
        email_fallback_cancel_if_seen(conversation=conv)
    return conv


def chat_typing(*, conversation: Conversation, active: bool) -> None:
    """Tell the agents who may see the conversation that the customer is typing (ephemeral, not logged)."""
    audience = realtime.event_audience(
        SimpleNamespace(agent_id=None, team_id=conversation.team_id, assignee_id=conversation.assignee_id)
    )
    frame = payloads.customer_typing_frame(conversation_id=conversation.id, is_typing=bool(active))
    realtime.broadcast_to_agents(audience, frame)
