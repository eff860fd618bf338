"""Reads about one customer across conversations: history, activity timeline, channels used, look-alike
profiles, and the full export of everything held on them. Scoped to the agent who asks where it matters."""

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, Func, OuterRef, Q, Value
from django.db.models.functions import Lower, Replace

from conversations.models import Conversation, Event, Message
from conversations.selectors.core import conversation_visible_list, conversation_with_view_data
from customers.models import (
    ChannelIdentity,
    ChannelKind,
    ContactPoint,
    Customer,
    CustomerActivity,
    CustomerMerge,
)
from helpdesk.models import Agent

# System-message events that change a conversation's status (written by the inbox actions).
STATUS_EVENTS = ("resolved", "reopened", "snoozed", "unsnoozed", "pending", "status")
TIMELINE_LIMIT = 100


def safe_url(value: object) -> str:
    """Only http(s) URLs become links; anything else a page reported is shown as nothing."""
    value = str(value or "").strip()
    return value[:2000] if value.lower().startswith(("http://", "https://")) else ""


def customer_history_list(*, agent: Agent, customer: Customer) -> list[Conversation]:
    """Every conversation of the customer the agent may see, newest first, with what the list shows."""
    return list(
        conversation_with_view_data(conversation_visible_list(agent=agent).filter(customer=customer))
        .annotate(message_count=Count("messages", filter=Q(messages__is_private=False)))
        .order_by("-created_at", "-id")
    )


def customer_conversation_count(*, customer: Customer) -> int:
    """All the customer's conversations, so an agent learns how many lie outside what they may see."""
    return Conversation.objects.filter(customer=customer).count()


def customer_channels_used(*, customer: Customer) -> list[dict[str, str]]:
    kinds = set(Conversation.objects.filter(customer=customer).values_list("inbox__kind", flat=True))
    kinds |= {identity.kind for identity in customer.identities.all()}
    labels = dict(ChannelKind.choices)
    return [{"kind": kind, "label": labels.get(kind, kind)} for kind in sorted(kinds)]


def customer_timeline(*, agent: Agent, customer: Customer, limit: int = TIMELINE_LIMIT) -> list[dict[str, Any]]:
    """Newest first: conversations started, their status changes, the pages the customer wrote from, and
    profile changes (status, merges, enrichment). Bounded queries whatever the history's length."""
    visible = conversation_visible_list(agent=agent).filter(customer=customer)
    entries: list[dict[str, Any]] = []
    for conv in visible.select_related("inbox").order_by("-created_at")[:limit]:
        entries.append(
            {
                "at": conv.created_at,
                "kind": "conversation",
                "conversation_id": conv.id,
                "channel": conv.inbox.get_kind_display(),
                "inbox": conv.inbox.name,
                "page_url": safe_url((conv.context or {}).get("page_url")),
                "text": f"Started a conversation in {conv.inbox.name}",
            }
        )
    visible_ids = visible.values("id")
    status_changes = (
        Message.objects.filter(conversation_id__in=visible_ids, sender=Message.Sender.SYSTEM, event__in=STATUS_EVENTS)
        .only("id", "conversation_id", "event", "body", "created_at")
        .order_by("-created_at")[:limit]
    )
    for message in status_changes:
        entries.append(
            {
                "at": message.created_at,
                "kind": "status",
                "conversation_id": message.conversation_id,
                "event": message.event,
                "text": message.body,
            }
        )
    pages = (
        Message.objects.filter(
            conversation_id__in=visible_ids, sender=Message.Sender.CUSTOMER, meta__has_key="page_url"
        )
        .only("id", "conversation_id", "meta", "created_at")
        .order_by("-created_at")[:limit]
    )
    last_url = None
    for message in pages:
        url = safe_url(message.meta.get("page_url"))
        # A run of messages from the same page is one visit.
        if url and url != last_url:
            entries.append(
                {
                    "at": message.created_at,
                    "kind": "page",
                    "conversation_id": message.conversation_id,
                    "page_url": url,
                    "text": "Wrote from a page",
                }
            )
        last_url = url
    for activity in CustomerActivity.objects.filter(customer=customer).select_related("actor")[:limit]:
        entries.append(
            {
                "at": activity.created_at,
                "kind": activity.kind,
                "conversation_id": None,
                "text": _activity_text(activity),
                "actor": activity.actor.name if activity.actor else None,
            }
        )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def _activity_text(activity: CustomerActivity) -> str:
    data = activity.data or {}
    kind = CustomerActivity.Kind
    if activity.kind == kind.STATUS_CHANGED:
        return f"Status changed from {data.get('from')} to {data.get('to')}"
    if activity.kind == kind.MERGED:
        return f"Profile #{data.get('source_id')} merged into this one ({data.get('conversations', 0)} conversations moved)"
    if activity.kind == kind.ENRICHED:
        filled = ", ".join(data.get("filled") or []) or "nothing new"
        return f"Looked up at {data.get('source')}: {filled}"
    if activity.kind == kind.ERASED:
        return "Personal data erased on request"
    return activity.get_kind_display()


def customer_duplicate_list(*, customer: Customer) -> list[tuple[Customer, str]]:
    """Other profiles holding one of this profile's verified e-mails or phones, with the reason."""
    addresses = {
        (kind, _bare(kind, value))
        for kind, value in ContactPoint.objects.filter(customer=customer, verified=True).values_list("kind", "value")
    }
    for identity_kind, address in ChannelIdentity.objects.filter(
        customer=customer, verified=True, kind__in=list(IDENTITY_CONTACT_KINDS)
    ).values_list("kind", "address"):
        kind = IDENTITY_CONTACT_KINDS[identity_kind]
        addresses.add((kind, _bare(kind, address)))
    found: dict[int, str] = {}
    for kind, bare in sorted(addresses):
        reason = CustomerMerge.Reason.VERIFIED_EMAIL if kind == "email" else CustomerMerge.Reason.VERIFIED_PHONE
        for other_id in _verified_holders(kind, bare) - {customer.id}:
            found.setdefault(other_id, reason)
    others = Customer.objects.in_bulk(list(found))
    return [(others[pk], found[pk]) for pk in sorted(others)]


# Channel identities that prove an address: a WhatsApp number (the channel verified it), a signed-in e-mail.
IDENTITY_CONTACT_KINDS = {"whatsapp": "phone", "email": "email"}


def _bare(kind: str, value: str) -> str:
    """One spelling per address: WhatsApp writes numbers without the leading +."""
    return value.lstrip("+") if kind == "phone" else value.lower()


def _verified_holders(kind: str, bare: str) -> set[int]:
    """Profiles (not erased) holding this verified address, as a contact or as a verified channel identity."""
    spellings = {bare, f"+{bare}"} if kind == "phone" else {bare}
    identity_kinds = [k for k, v in IDENTITY_CONTACT_KINDS.items() if v == kind]
    holders = set(
        ContactPoint.objects.filter(
            kind=kind, value__in=spellings, verified=True, customer__erased_at__isnull=True
        ).values_list("customer_id", flat=True)
    )
    holders |= set(
        ChannelIdentity.objects.filter(
            kind__in=identity_kinds, address__in=spellings, verified=True, customer__erased_at__isnull=True
        ).values_list("customer_id", flat=True)
    )
    return holders


def verified_duplicate_groups(*, limit: int = 100) -> list[tuple[str, list[int]]]:
    """Sets of profiles sharing one verified e-mail or phone: [(reason, [customer ids, oldest first])].

    Two profiles match when both hold the address verified, as a contact point or as a channel identity
    (a WhatsApp number on one, a verified phone contact on the other)."""
    candidates: set[tuple[str, str]] = set()
    shared = (
        ContactPoint.objects.filter(verified=True, customer__erased_at__isnull=True)
        .values("kind", "value")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .order_by("kind", "value")[:limit]
    )
    candidates |= {(row["kind"], _bare(row["kind"], row["value"])) for row in shared}
    # A verified contact whose address is also another profile's verified channel identity.
    for identity_kind, kind in IDENTITY_CONTACT_KINDS.items():
        bare_value: Func
        if kind == "phone":
            bare_value = Replace(OuterRef("value"), Value("+"), Value(""))
        else:
            bare_value = Lower(OuterRef("value"))
        elsewhere = ChannelIdentity.objects.filter(
            kind=identity_kind, verified=True, address=bare_value, customer__erased_at__isnull=True
        ).exclude(customer_id=OuterRef("customer_id"))
        rows = (
            ContactPoint.objects.filter(kind=kind, verified=True, customer__erased_at__isnull=True)
            .filter(Exists(elsewhere))
            .values_list("value", flat=True)[:limit]
        )
        candidates |= {(kind, _bare(kind, value)) for value in rows}
    groups: list[tuple[str, list[int]]] = []
    for kind, bare in sorted(candidates)[:limit]:
        ids = sorted(_verified_holders(kind, bare))
        if len(ids) > 1:
            reason = CustomerMerge.Reason.VERIFIED_EMAIL if kind == "email" else CustomerMerge.Reason.VERIFIED_PHONE
            groups.append((reason, ids))
    return groups


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def customer_data_export(*, customer: Customer) -> dict[str, Any]:
    """Everything held on one customer, for a data-protection access request. Not scoped: operators only."""
    customer = Customer.objects.prefetch_related("contacts", "identities", "notes__author", "enrichments").get(
        pk=customer.pk
    )
    conversations = (
        Conversation.objects.filter(customer=customer)
        .select_related("inbox", "assignee", "team")
        .prefetch_related("labels")
        .order_by("created_at", "id")
    )
    messages_by_conv: dict[int, list[dict[str, Any]]] = {}
    for m in (
        Message.objects.filter(conversation__customer=customer)
        .select_related("author")
        .order_by("conversation_id", "seq")
    ):
        messages_by_conv.setdefault(m.conversation_id, []).append(
            {
                "seq": m.seq,
                "sender": m.sender,
                "author": m.author.name if m.author else None,
                "body": m.body,
                "is_private": m.is_private,
                "event": m.event,
                "meta": m.meta,
                "created_at": _iso(m.created_at),
            }
        )
    return {
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "avatar_url": customer.avatar_url,
            "locale": customer.locale,
            "time_zone": customer.time_zone,
            "location": customer.location,
            "company": customer.company,
            "status": customer.status,
            "labels": customer.labels,
            "custom_attributes": customer.custom_attributes,
            "external_id": customer.external_id,
            "first_seen_at": _iso(customer.first_seen_at),
            "last_seen_at": _iso(customer.last_seen_at),
            "erased_at": _iso(customer.erased_at),
            "created_at": _iso(customer.created_at),
        },
        "contacts": [{"kind": c.kind, "value": c.value, "verified": c.verified} for c in customer.contacts.all()],
        "identities": [
            {"kind": i.kind, "address": i.address, "verified": i.verified, "created_at": _iso(i.created_at)}
            for i in customer.identities.all()
        ],
        "notes": [
            {"body": n.body, "author": n.author.name if n.author else None, "created_at": _iso(n.created_at)}
            for n in customer.notes.all()
        ],
        "enrichments": [
            {
                "email": e.email,
                "source": e.provider,
                "status": e.status,
                "data": e.data,
                "requested_at": _iso(e.requested_at),
                "completed_at": _iso(e.completed_at),
            }
            for e in customer.enrichments.all()
        ],
        "activity": [
            {"kind": a.kind, "data": a.data, "created_at": _iso(a.created_at)}
            for a in CustomerActivity.objects.filter(customer=customer)
        ],
        "merges": [
            {"source_id": m.source_id, "reason": m.reason, "moved": m.moved, "created_at": _iso(m.created_at)}
            for m in CustomerMerge.objects.filter(target=customer)
        ],
        "conversations": [
            {
                "id": c.id,
                "inbox": c.inbox.name,
                "channel": c.inbox.kind,
                "status": c.status,
                "subject": c.subject,
                "assignee": c.assignee.name if c.assignee else None,
                "team": c.team.name if c.team else None,
                "labels": [label.name for label in c.labels.all()],
                "context": c.context,
                "created_at": _iso(c.created_at),
                "first_response_seconds": c.first_response_seconds,
                "resolved_at": _iso(c.resolved_at),
                "messages": messages_by_conv.get(c.id, []),
            }
            for c in conversations
        ],
        "events_logged": Event.objects.filter(conversation__customer=customer).count(),
    }
