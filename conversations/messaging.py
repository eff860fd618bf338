"""The one write path for messages: what receiving a customer's message and sending an agent's reply do, in order.

Every channel's customer message comes through ``customer_message_receive`` (the chat page's socket and
HTTP fallback, every connector's webhook, inbound e-mail, the API); every agent message through
``agent_message_send``. Each takes its locks in one order (customer, then conversation), stores the message
in the log (``conversations.services.messages.message_create``), then runs the steps that follow it, written
out below in the order they run, inside the same transaction. Side effects outside the database (channel
delivery, e-mail, away replies) are outbox rows, carried out by the worker after commit
(``conversations.tasks.OUTBOX_HANDLERS``). See docs/architecture.md for the path drawn end to end.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from conversations.away import services as away
from conversations.chat import email_fallback
from conversations.inbox.services import assignment, mentions
from conversations.models import Conversation, Inbox, Message
from conversations.services import metrics
from conversations.services.conversations import conversation_for_customer_message, conversation_reopen
from conversations.services.events import events_at_end
from conversations.services.messages import conversation_create, message_create
from customers.models import Customer
from helpdesk.models import Agent


@dataclass(frozen=True)
class Received:
    message: Message
    created: bool  # False: a resend (same client_id or channel message id) returned the stored message
    conversation: Conversation
    started: bool  # this message started a new conversation


def after_customer_message(conversation: Conversation, message: Message) -> None:
    """What follows a stored customer message, in order, inside its transaction."""
    # 1. Hand an unassigned conversation to the least-loaded online agent with room.
    assignment.conversation_assign_on_customer_message(conversation=conversation, message=message)
    # 2. While the team is closed or away: one automatic away reply per closed period (an outbox row).
    away.away_reply_queue(conversation=conversation, message=message)


def after_agent_message(conversation: Conversation, message: Message) -> None:
    """What follows a stored agent message (a reply or a private note), in order, inside its transaction."""
    if message.is_private:
        # A note: tell each @mentioned agent who may see the conversation.
        mentions.mentions_notify(conversation=conversation, message=message)
        return
    # 1. The first public reply's business-time twin of first_response_seconds.
    metrics.first_response_record(conversation=conversation, message=message)
    # 2. If the customer has left the chat page: e-mail the unseen replies later (an outbox row).
    email_fallback.email_fallback_schedule(conversation=conversation, message=message)
    # Delivery on the customer's channel (WhatsApp, Messenger, Apple, API) is queued by message_create
    # itself for every public non-customer message, automatic replies included.


def customer_message_receive(
    *,
    inbox: Inbox,
    customer: Customer,
    body: str,
    client_id: str | None = None,
    external_id: str | None = None,
    meta: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    on_new_conversation: Callable[[], None] | None = None,
    new_conversation_context: dict[str, Any] | None = None,
) -> Received:
    """Store a customer's message in the conversation it continues (reopened if resolved) or in a new one.

    A resend (the same ``client_id`` from the page, or the channel's ``external_id`` from a retried
    webhook) returns the stored message before anything else is touched: a replay never reopens a
    conversation. ``on_new_conversation`` runs (and may raise, refusing the message) only when a
    conversation would be started, before anything is written.
    """
    context = context or {}
    # The events (a new or reopened conversation, then the message) are logged together at the end, so
    # the event counter is locked only from there to commit, not for the whole write.
    with transaction.atomic(), events_at_end():
        # Lock order, everywhere: customer, then conversation. One writer per customer at a time, so two
        # sends racing (two tabs, socket and HTTP fallback, platform retries, two e-mails) continue one
        # conversation instead of starting one each.
        _customer_lock(customer.pk)
        existing = _resent(inbox=inbox, customer=customer, client_id=client_id, external_id=external_id)
        if existing is not None:
            return Received(message=existing, created=False, conversation=existing.conversation, started=False)

        conversation = conversation_for_customer_message(inbox=inbox, customer=customer)
        started = conversation is None
        if conversation is None:
            if on_new_conversation is not None:
                on_new_conversation()
            conversation = conversation_create(
                inbox=inbox, customer=customer, context={**context, **(new_conversation_context or {})}
            )
        else:
            if conversation.status == Conversation.Status.RESOLVED:
                conversation = conversation_reopen(conversation=conversation)
            if context:
                merged = {**conversation.context, **context}
                if merged != conversation.context:
                    conversation.context = merged
                    Conversation.objects.filter(pk=conversation.pk).update(context=merged)
        _customer_learn(customer=customer, context=context)
        message, created = message_create(
            conversation=conversation,
            sender=Message.Sender.CUSTOMER,
            body=body,
            client_id=client_id,
            external_id=external_id,
            meta=meta,
            after=after_customer_message,
        )
    return Received(message=message, created=created, conversation=conversation, started=started)


def agent_message_send(
    *, conversation: Conversation, author: Agent, body: str, is_private: bool = False, client_id: str | None = None
) -> tuple[Message, bool]:
    """Store an agent's reply or private note. Returns (message, created); a resend returns the stored one."""
    with transaction.atomic():
        # The same lock order as a customer's message (customer, then conversation): taking the
        # conversation first deadlocked against a customer writing at the same moment.
        _customer_lock(conversation.customer_id)
        return message_create(
            conversation=conversation,
            sender=Message.Sender.AGENT,
            author=author,
            body=body,
            is_private=is_private,
            client_id=client_id,
            after=after_agent_message,
        )


def _customer_lock(customer_id: int) -> None:
    """One writer per customer until commit. NO KEY UPDATE: it serialises writers without blocking the
    foreign-key checks of rows that merely reference the customer (a new conversation, an event)."""
    Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).values_list("pk", flat=True).first()


def _resent(*, inbox: Inbox, customer: Customer, client_id: str | None, external_id: str | None) -> Message | None:
    if client_id:
        found = (
            Message.objects.filter(
                conversation__inbox=inbox, conversation__customer=customer, client_id=str(client_id)[:64]
            )
            .select_related("conversation", "author")
            .first()
        )
        if found is not None:
            return found
    if external_id:
        return (
            Message.objects.filter(conversation__inbox=inbox, external_id=external_id)
            .select_related("conversation", "author")
            .first()
        )
    return None


def _customer_learn(*, customer: Customer, context: dict[str, Any]) -> None:
    """Fill the profile's zone and language from the first page that reports them; note when we saw them."""
    updates: dict[str, Any] = {}
    if not customer.time_zone and context.get("time_zone"):
        updates["time_zone"] = context["time_zone"]
    if not customer.locale and context.get("language"):
        updates["locale"] = context["language"][:20]
    updates["last_seen_at"] = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(**updates)
    for field, value in updates.items():
        setattr(customer, field, value)
