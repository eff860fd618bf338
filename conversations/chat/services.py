"""Writes from the chat page: customer messages (new or continued conversations), profile, reads, typing."""

import zoneinfo
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from conversations import realtime
from conversations.models import Conversation, Inbox, Message, Visitor
from conversations.selectors.availability import inbox_availability
from conversations.services.events import event_emit, events_at_end
from conversations.services.messages import (
    conversation_create,
    conversation_mark_read,
    conversation_summary,
    message_create,
)
from customers.models import Customer
from helpdesk.errors import ApplicationError

CONTEXT_FIELDS = {"time_zone": 64, "language": 35, "page_url": 2000, "referrer": 2000, "user_agent": 500}


def chat_context_clean(*, raw: dict | None, user_agent: str = "") -> dict:
    """What the browser told us, trimmed to known keys and sane lengths; bad values are dropped, not fatal."""
    raw = raw if isinstance(raw, dict) else {}
    context = {}
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


def conversation_for_customer_message(
    *, inbox: Inbox, customer: Customer, now: datetime | None = None
) -> Conversation | None:
    """The conversation a new customer message continues, or None when it should start a new one.

    An unresolved conversation continues; a resolved one reopens within REOPEN_WINDOW_DAYS of resolving."""
    now = now or timezone.now()
    latest = Conversation.objects.filter(inbox=inbox, customer=customer).order_by("-created_at", "-id").first()
    if latest is None:
        return None
    if latest.status != Conversation.Status.RESOLVED:
        return latest
    resolved_at = latest.resolved_at or latest.updated_at
    if now - resolved_at <= timedelta(days=settings.REOPEN_WINDOW_DAYS):
        return latest
    return None


def conversation_reopen(*, conversation: Conversation) -> Conversation:
    """A resolved conversation the customer wrote to again, inside the reopen window."""
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conv.status != Conversation.Status.RESOLVED:
            return conv
        conv.status = Conversation.Status.OPEN
        conv.resolved_at = None
        conv.save(update_fields=["status", "resolved_at", "updated_at"])
        event_emit(
            type="conversation.reopened", conversation=conv, payload={"conversation": conversation_summary(conv)}
        )
    return conv


def _customer_learn(*, customer: Customer, context: dict) -> None:
    updates = {}
    if not customer.time_zone and context.get("time_zone"):
        updates["time_zone"] = context["time_zone"]
    if not customer.locale and context.get("language"):
        updates["locale"] = context["language"][:20]
    updates["last_seen_at"] = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(**updates)
    for field, value in updates.items():
        setattr(customer, field, value)


def _needs_email(*, inbox: Inbox, customer: Customer) -> bool:
    if customer.email or not inbox.settings.get("require_email_when_away"):
        return False
    return not inbox_availability(inbox=inbox).is_open


def chat_message_send(
    *,
    visitor: Visitor,
    body: str,
    client_id: str | None,
    context: dict | None = None,
    new_conversation_check=None,
) -> tuple[Message, bool, Conversation]:
    """Write a customer message from the page into the conversation it continues, or a new one.

    ``new_conversation_check`` runs (and may raise, e.g. a rate limit) only when a conversation would be
    created, before anything is written. Returns (message, created, conversation)."""
    context = context or {}
    inbox, customer = visitor.inbox, visitor.customer
    # The events (a new or reopened conversation, then the message) are logged together at the end, so
    # the event counter is locked only from there to commit, not for the whole write.
    with transaction.atomic(), events_at_end():
        # One writer per customer at a time: two sends racing (two tabs, the socket and the HTTP
        # fallback) must continue one conversation, not start one each.
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).first()
        conversation = conversation_for_customer_message(inbox=inbox, customer=customer)
        started = conversation is None
        if started:
            if _needs_email(inbox=inbox, customer=customer):
                raise ApplicationError(
                    "We are away right now: leave your e-mail address so our reply can reach you.",
                    code="email_required",
                    fields={"email": ["Required while we are away."]},
                )
            if new_conversation_check is not None:
                new_conversation_check()
            conversation = conversation_create(inbox=inbox, customer=customer, context=context)
        else:
            if conversation.status == Conversation.Status.RESOLVED:
                conversation = conversation_reopen(conversation=conversation)
            if context:
                merged = {**conversation.context, **context}
                if merged != conversation.context:
                    conversation.context = merged
                    Conversation.objects.filter(pk=conversation.pk).update(context=merged)
        _customer_learn(customer=customer, context=context)
        meta = {"page_url": context["page_url"]} if context.get("page_url") else {}
        message, created = message_create(
            conversation=conversation,
            sender=Message.Sender.CUSTOMER,
            body=body,
            client_id=client_id,
            meta=meta,
        )
        if started:
            frame = {"type": "conversation", "conversation": chat_conversation_payload(conversation)}
            key = visitor.key
            transaction.on_commit(lambda: _broadcast_to_visitor(key, frame))
    return message, created, conversation


def _broadcast_to_visitor(visitor_key: str, frame: dict) -> None:
    # Every tab of this visitor joins the new conversation's group when it hears this.
    realtime._group_send(realtime.visitor_group(visitor_key), {"type": "visitor.frame", "frame": frame})


def chat_conversation_payload(conversation: Conversation) -> dict:
    """What the customer may know about one of their conversations."""
    return {
        "id": conversation.id,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "customer_read_seq": conversation.customer_read_seq,
        "created_at": conversation.created_at.isoformat(),
        "last_message_at": conversation.last_message_at.isoformat() if conversation.last_message_at else None,
    }


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
    from conversations.chat.email_fallback import email_fallback_cancel_if_seen

    with transaction.atomic():
        conv = conversation_mark_read(conversation=conversation, seq=seq, by_customer=True)
        email_fallback_cancel_if_seen(conversation=conv)
    return conv


def chat_typing(*, conversation: Conversation, active: bool) -> None:
    """Tell the agents who may see the conversation that the customer is typing (ephemeral, not logged)."""
    audience = realtime.event_audience(
        SimpleNamespace(agent_id=None, team_id=conversation.team_id, assignee_id=conversation.assignee_id)
    )
    # Its own type: agents' "typing" frames name an agent, and the inbox keys on that.
    frame = {"type": "customer.typing", "conversation_id": conversation.id, "is_typing": bool(active)}
    realtime.broadcast_to_agents(audience, frame)
