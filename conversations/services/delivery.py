"""Delivery states of outgoing messages: stored, then told to the agents who may see the conversation."""

from django.db import transaction

from conversations import payloads
from conversations.models import Message
from conversations.services.events import event_emit

Delivery = Message.Delivery

# A state only moves forward. ``failed`` is final: platforms retry webhooks out of order, and a late
# "sent" must not hide that the message never arrived.
FORWARD_FROM: dict[str, list[str]] = {
    Delivery.SENT: [Delivery.PENDING],
    Delivery.DELIVERED: [Delivery.PENDING, Delivery.SENT],
    Delivery.READ: [Delivery.PENDING, Delivery.SENT, Delivery.DELIVERED],
    Delivery.FAILED: [Delivery.PENDING, Delivery.SENT, Delivery.DELIVERED, Delivery.READ],
}


def message_delivery_set(*, message: Message, status: str, error: str = "") -> bool:
    """Move a message's delivery state to ``status`` (``error``: the platform's reason for a failure) and
    log a ``message.status`` event for the conversation's agents. Returns False when nothing moved."""
    allowed = FORWARD_FROM.get(status)
    if allowed is None:
        return False
    with transaction.atomic():
        # One conditional UPDATE: two webhooks racing cannot both move it, and nothing else is locked.
        moved = Message.objects.filter(pk=message.pk, delivery_status__in=allowed).update(delivery_status=status)
        if not moved:
            return False
        stored = Message.objects.select_related("conversation").get(pk=message.pk)
        if status == Delivery.FAILED and error:
            stored.meta = {**stored.meta, "delivery_error": error[:500]}
            Message.objects.filter(pk=message.pk).update(meta=stored.meta)
        event_emit(
            type=payloads.MESSAGE_STATUS,
            conversation=stored.conversation,
            payload=payloads.message_status_event(stored),
        )
    message.delivery_status, message.meta = stored.delivery_status, stored.meta
    return True
