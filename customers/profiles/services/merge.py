"""Merging two profiles of one person: conversations, identities, contacts, notes and lookups move to the
surviving profile in one transaction, with an audit entry recording what moved and the profile as it was."""

from typing import Any, cast

from django.db import transaction
from django.db.models import Model

from conversations import payloads
from conversations.models import Conversation
from conversations.services.events import event_emit
from customers.models import (
    ChannelIdentity,
    ContactPoint,
    Customer,
    CustomerActivity,
    CustomerMerge,
    CustomerNote,
    Enrichment,
)
from customers.profiles.selectors import verified_duplicate_groups
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent

# Moved one by one above, with their own rules; every other relation to a customer moves wholesale.
HANDLED = (Conversation, ChannelIdentity, ContactPoint, CustomerNote, CustomerActivity, Enrichment)
FILL_FIELDS = ("name", "email", "phone", "avatar_url", "locale", "time_zone", "location", "company", "external_id")


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        **{name: getattr(customer, name) for name in (*FILL_FIELDS, "status")},
        "labels": customer.labels,
        "custom_attributes": customer.custom_attributes,
        "first_seen_at": customer.first_seen_at.isoformat() if customer.first_seen_at else None,
        "last_seen_at": customer.last_seen_at.isoformat() if customer.last_seen_at else None,
    }


def customer_merge(
    *, target: Customer, source: Customer, actor: Agent | None = None, reason: str = CustomerMerge.Reason.AGENT
) -> CustomerMerge:
    """Merge ``source`` into ``target`` and delete ``source``. The target's own values win; its blanks are
    filled from the source; labels and custom attributes are united."""
    if target.pk == source.pk:
        raise ApplicationError("A profile cannot be merged into itself.", code="merge_same_profile")
    with transaction.atomic():
        # Locking in id order keeps two merges of the same pair from deadlocking.
        locked = {
            c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[target.pk, source.pk]).order_by("pk")
        }
        if len(locked) != 2:
            raise ApplicationError("One of the two profiles no longer exists.", code="not_found", status_code=404)
        target, source = locked[target.pk], locked[source.pk]
        if target.erased_at or source.erased_at:
            raise ApplicationError("An erased profile cannot be merged.", code="merge_erased", status_code=409)
        snapshot = customer_snapshot(source)

        conversation_ids = list(Conversation.objects.filter(customer=source).values_list("id", flat=True))
        Conversation.objects.filter(pk__in=conversation_ids).update(customer=target)
        identities = [str(i) for i in ChannelIdentity.objects.filter(customer=source)]
        ChannelIdentity.objects.filter(customer=source).update(customer=target)

        moved_contacts: list[str] = []
        target_contacts = {(c.kind, c.value): c for c in ContactPoint.objects.filter(customer=target)}
        for contact in ContactPoint.objects.filter(customer=source):
            mine = target_contacts.get((contact.kind, contact.value))
            if mine is None:
                contact.customer = target
                contact.save(update_fields=["customer"])
            else:
                if contact.verified and not mine.verified:
                    mine.verified = True
                    mine.save(update_fields=["verified"])
                contact.delete()
            moved_contacts.append(contact.value)

        note_count = CustomerNote.objects.filter(customer=source).update(customer=target)
        CustomerActivity.objects.filter(customer=source).update(customer=target)
        target_emails = set(Enrichment.objects.filter(customer=target).values_list("email", flat=True))
        Enrichment.objects.filter(customer=source, email__in=target_emails).delete()
        Enrichment.objects.filter(customer=source).update(customer=target)

        # Rows other features keep per customer (chat sessions today, whatever comes later) follow the person
        # instead of being deleted with the merged-away profile.
        others: dict[str, int] = {}
        for relation in Customer._meta.related_objects:
            # Reverse relations are resolved by now; "self" only appears while models are being defined.
            model = cast(type[Model], relation.related_model)
            if relation.one_to_many and model not in HANDLED:
                field = relation.field.name
                count = model._default_manager.filter(**{field: source}).update(**{field: target})
                if count:
                    others[model._meta.label] = count

        filled = [name for name in FILL_FIELDS if not getattr(target, name) and getattr(source, name)]
        for name in filled:
            setattr(target, name, getattr(source, name))
        target.labels = target.labels + [
            label for label in source.labels if label.lower() not in {t.lower() for t in target.labels}
        ]
        target.custom_attributes = {**source.custom_attributes, **target.custom_attributes}
        if source.first_seen_at and source.first_seen_at < target.first_seen_at:
            target.first_seen_at = source.first_seen_at
        if source.last_seen_at and (not target.last_seen_at or source.last_seen_at > target.last_seen_at):
            target.last_seen_at = source.last_seen_at
        target.save()

        moved = {
            "conversations": conversation_ids,
            "identities": identities,
            "contacts": moved_contacts,
            "notes": note_count,
            "filled_fields": filled,
            "other": others,
        }
        audit = CustomerMerge.objects.create(
            target=target,
            target_id_at_merge=target.pk,
            source_id=source.pk,
            source_snapshot=snapshot,
            moved=moved,
            reason=reason,
            actor=actor,
        )
        CustomerActivity.objects.create(
            customer=target,
            kind=CustomerActivity.Kind.MERGED,
            data={"source_id": source.pk, "conversations": len(conversation_ids), "reason": reason},
            actor=actor,
        )
        source.delete()
        # The inbox shows the customer's name on each conversation: tell its audience the customer changed.
        for conversation in Conversation.objects.filter(pk__in=conversation_ids):
            event_emit(
                type=payloads.CONVERSATION_UPDATED,
                conversation=conversation,
                payload=payloads.conversation_updated_event(conversation, change="customer", actor=actor),
            )
    return audit


def customer_merge_verified_duplicates(*, limit: int = 100) -> list[CustomerMerge]:
    """Merge every set of profiles sharing a verified e-mail or phone into its oldest profile."""
    audits: list[CustomerMerge] = []
    for reason, ids in verified_duplicate_groups(limit=limit):
        target_id, *others = ids
        for source_id in others:
            try:
                audits.append(
                    customer_merge(target=Customer(pk=target_id), source=Customer(pk=source_id), reason=reason)
                )
            except ApplicationError:
                continue  # merged or erased meanwhile; the next sweep sees the current state
    return audits
