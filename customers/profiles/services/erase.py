"""Erasing a customer's personal data on request: the profile is anonymised, what they wrote is replaced,
their addresses are removed; counts, timings and statuses stay so reports still add up."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from conversations.models import Conversation, Event, Message, OutboxItem, Visitor
from customers.models import (
    ChannelIdentity,
    ContactPoint,
    Customer,
    CustomerActivity,
    CustomerMerge,
    CustomerNote,
    Enrichment,
)
from helpdesk.models import Agent

ERASED_BODY = "[erased]"
PERSONAL_FIELDS = {
    "name": "",
    "email": "",
    "phone": "",
    "avatar_url": "",
    "locale": "",
    "time_zone": "",
    "location": "",
    "company": "",
    "external_id": "",
    "labels": [],
    "custom_attributes": {},
}


def customer_erase(*, customer: Customer, actor: Agent | None = None) -> dict[str, Any]:
    """Anonymise one customer in a single transaction. Running it again changes nothing more."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        conversation_ids = list(Conversation.objects.filter(customer=customer).values_list("id", flat=True))
        written = Message.objects.filter(conversation_id__in=conversation_ids, sender=Message.Sender.CUSTOMER)
        message_count = written.exclude(body=ERASED_BODY).update(body=ERASED_BODY, meta={})
        Conversation.objects.filter(pk__in=conversation_ids).update(context={}, subject="")
        # The agents' event log carries copies of message bodies for catch-up; scrub the customer's.
        for event in Event.objects.filter(conversation_id__in=conversation_ids, type="message.created"):
            message = (event.payload or {}).get("message") or {}
            if message.get("sender") == Message.Sender.CUSTOMER and message.get("body") != ERASED_BODY:
                message.update(body=ERASED_BODY, meta={})
                event.save(update_fields=["payload"])
        # Pending side effects (an e-mail fallback, a channel delivery) need the addresses just removed.
        OutboxItem.objects.filter(conversation_id__in=conversation_ids, status=OutboxItem.Status.PENDING).update(
            status=OutboxItem.Status.CANCELLED, done_at=timezone.now(), payload={}
        )
        removed = {
            "identities": ChannelIdentity.objects.filter(customer=customer).delete()[0],
            # Chat sessions would let a browser reopen the erased history.
            "chat_sessions": Visitor.objects.filter(customer=customer).delete()[0],
            "contacts": ContactPoint.objects.filter(customer=customer).delete()[0],
            "notes": CustomerNote.objects.filter(customer=customer).delete()[0],
            "enrichments": Enrichment.objects.filter(customer=customer).delete()[0],
        }
        CustomerActivity.objects.filter(customer=customer, kind=CustomerActivity.Kind.ENRICHED).delete()
        CustomerMerge.objects.filter(target=customer).update(source_snapshot={"erased": True})
        already = customer.erased_at is not None
        for name, blank in PERSONAL_FIELDS.items():
            setattr(customer, name, blank)
        customer.erased_at = customer.erased_at or timezone.now()
        customer.save()
        summary = {"conversations": len(conversation_ids), "messages_erased": message_count, **removed}
        if not already:
            CustomerActivity.objects.create(
                customer=customer, kind=CustomerActivity.Kind.ERASED, data=summary, actor=actor
            )
    return summary
