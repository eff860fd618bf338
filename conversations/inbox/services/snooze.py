"""Snooze: put a conversation aside until a given time or until the team next opens; a beat sweep wakes
it up on time and tells the assignee personally. A customer message wakes it earlier (message_create)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from conversations import payloads
from conversations.models import Conversation
from conversations.selectors.availability import policy_for_conversation, snapshot_for
from conversations.services.events import event_emit
from conversations.services.timeline import conversation_change_emit, timeline_entry_create
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent
from hours import engine

SNOOZE_ENDED = payloads.SNOOZE_ENDED


def snooze_wake_time(*, conversation: Conversation, now: datetime) -> datetime | None:
    """The start of the team's next business window after ``now`` (not the current one if open now)."""
    snapshot = snapshot_for(policy_for_conversation(conversation))
    if engine.is_open(snapshot, now):
        closes = engine.next_close(snapshot, now)
        return None if closes is None else engine.next_open(snapshot, closes)
    return engine.next_open(snapshot, now)


def _when(moment: datetime, actor: Agent | None) -> str:
    zone_name = getattr(actor, "time_zone", "") or "UTC"
    zone = ZoneInfo(zone_name if engine.is_time_zone(zone_name) else "UTC")
    return f"{moment.astimezone(zone):%a %d %b %H:%M} ({zone.key})"


def conversation_snooze(
    *,
    conversation: Conversation,
    actor: Agent,
    until: datetime | None = None,
    until_open: bool = False,
    now: datetime | None = None,
) -> Conversation:
    """Snooze until ``until``, or with ``until_open`` until the team's next opening."""
    now = now or timezone.now()
    if until is not None and until_open:
        raise ApplicationError(
            "Snooze either until a time or until we open, not both.",
            code="invalid",
            fields={"until": ["Leave empty when snoozing until we open."]},
        )
    if until is None and not until_open:
        raise ApplicationError(
            "Say until when to snooze, or until the team opens.", code="invalid", fields={"until": ["Required."]}
        )
    if until is not None:
        if until.tzinfo is None:
            raise ApplicationError(
                "The snooze time needs a time zone.", code="invalid", fields={"until": ["Include an offset."]}
            )
        if until <= now:
            raise ApplicationError(
                "Snooze until a time in the future.", code="invalid", fields={"until": ["In the past."]}
            )
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conv.status == Conversation.Status.RESOLVED:
            raise ApplicationError(
                "A resolved conversation cannot be snoozed; reopen it first.", code="invalid_state", status_code=409
            )
        wake = until if until is not None else snooze_wake_time(conversation=conv, now=now)
        if wake is None:
            raise ApplicationError(
                "This team's hours never open again, so “until we open” would be forever; pick a time instead.",
                code="never_opens",
                fields={"until_open": ["The business hours never open."]},
            )
        conv.status = Conversation.Status.SNOOZED
        conv.snoozed_until = wake
        conv.snooze_until_open = until_open
        conv.save(update_fields=["status", "snoozed_until", "snooze_until_open", "updated_at"])
        reason = " (when we open)" if until_open else ""
        timeline_entry_create(
            conversation=conv,
            actor=actor,
            body=f"{actor.name} snoozed this until {_when(wake, actor)}{reason}",
            event="snoozed",
            meta={"until": wake.isoformat(), "until_open": until_open},
        )
        conversation_change_emit(
            conversation=conv, change="snoozed", actor=actor, old_team_id=conv.team_id, old_assignee_id=conv.assignee_id
        )
    conversation.__dict__.update(
        status=conv.status, snoozed_until=conv.snoozed_until, snooze_until_open=conv.snooze_until_open
    )
    return conv


def conversation_unsnooze(
    *, conversation: Conversation, actor: Agent | None = None, due_by: datetime | None = None
) -> Conversation:
    """Wake a snoozed conversation. ``actor`` None means the clock did it: the assignee gets a personal
    ``conversation.snooze_ended`` event. Does nothing to a conversation that is no longer snoozed, nor
    (with ``due_by``) to one snoozed again past that time meanwhile."""
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conv.status != Conversation.Status.SNOOZED:
            return conv
        if due_by is not None and conv.snoozed_until is not None and conv.snoozed_until > due_by:
            return conv
        until = conv.snoozed_until
        conv.status = Conversation.Status.OPEN
        conv.snoozed_until = None
        conv.snooze_until_open = False
        conv.save(update_fields=["status", "snoozed_until", "snooze_until_open", "updated_at"])
        body = f"{actor.name} woke this up" if actor is not None else "The snooze ended"
        timeline_entry_create(
            conversation=conv,
            actor=actor,
            body=body,
            event="unsnoozed",
            meta={"until": until.isoformat() if until else None},
        )
        conversation_change_emit(
            conversation=conv,
            change="unsnoozed",
            actor=actor,
            old_team_id=conv.team_id,
            old_assignee_id=conv.assignee_id,
        )
        if actor is None and conv.assignee_id:
            event_emit(
                type=SNOOZE_ENDED,
                conversation=conv,
                agent_id=conv.assignee_id,
                payload=payloads.snooze_ended_event(conv, snoozed_until=until),
            )
    conversation.__dict__.update(status=conv.status, snoozed_until=None, snooze_until_open=False)
    return conv


def snooze_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Wake every conversation whose snooze is due. Idempotent: a woken conversation is skipped."""
    now = now or timezone.now()
    due = list(
        Conversation.objects.filter(status=Conversation.Status.SNOOZED, snoozed_until__lte=now)
        .order_by("snoozed_until", "id")
        .only("id")[:limit]
    )
    woken = 0
    for conversation in due:
        if conversation_unsnooze(conversation=conversation, due_by=now).status != Conversation.Status.SNOOZED:
            woken += 1
    return woken
