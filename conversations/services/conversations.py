"""Which conversation a customer's new message belongs to, and reopening a resolved one."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations import payloads
from conversations.models import Conversation, Inbox
from conversations.services.events import event_emit
from customers.models import Customer


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
            type=payloads.CONVERSATION_REOPENED, conversation=conv, payload=payloads.conversation_reopened_event(conv)
        )
    return conv
