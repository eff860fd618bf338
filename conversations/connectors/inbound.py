"""Messages and delivery statuses arriving from messaging platforms, written to the log idempotently.

Platforms retry webhooks; the channel's own message id is stored as ``Message.external_id`` so a retried
delivery returns the stored message instead of a second one.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from conversations.models import Inbox, Message
from conversations.services.delivery import message_delivery_set
from conversations.services.messages import conversation_mark_read
from customers.models import ChannelIdentity, Customer


@dataclass(frozen=True)
class InboundMessage:
    address: str  # the customer's id on the channel: phone number, page-scoped id, opaque id
    name: str
    body: str
    external_id: str | None
    sent_at: datetime | None = None
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class InboundStatus:
    external_id: str | None
    status: str  # sent / delivered / read / failed
    address: str | None = None  # for read watermarks that name a customer, not a message
    watermark: datetime | None = None
    error: str = ""  # the platform's reason, for failed


def customer_for_address(*, kind: str, address: str, name: str = "") -> Customer:
    """The customer behind a channel address, created on first contact."""
    identity = ChannelIdentity.objects.select_related("customer").filter(kind=kind, address=address).first()
    if identity:
        return identity.customer
    with transaction.atomic():
        customer = Customer.objects.create(name=name[:200], phone=address if kind == "whatsapp" else "")
        identity, created = ChannelIdentity.objects.get_or_create(
            kind=kind, address=address, defaults={"customer": customer, "verified": True}
        )
        if not created:  # someone else created it a moment ago
            customer.delete()
    return identity.customer


def inbound_status_apply(*, inbox: Inbox, item: InboundStatus) -> int:
    """Move delivery states forward (never back); a read also moves the customer's read cursor."""
    if item.external_id:
        message = (
            Message.objects.filter(conversation__inbox=inbox, external_id=item.external_id)
            .select_related("conversation")
            .first()
        )
        if message is None:
            return 0
        targets = [message]
    elif item.address and item.watermark:
        identity = ChannelIdentity.objects.filter(kind=inbox.kind, address=item.address).first()
        if identity is None:
            return 0
        targets = list(
            Message.objects.filter(
                conversation__inbox=inbox,
                conversation__customer_id=identity.customer_id,
                sender__in=[Message.Sender.AGENT, Message.Sender.SYSTEM],
                is_private=False,
                created_at__lte=item.watermark,
            ).select_related("conversation")
        )
    else:
        return 0
    changed = 0
    for message in targets:
        if message_delivery_set(message=message, status=item.status, error=item.error):
            changed += 1
        if item.status == "read":
            conversation_mark_read(conversation=message.conversation, seq=message.seq, by_customer=True)
    return changed
