"""What an agent does to a conversation from the inbox: assign, transfer, resolve, reopen, snooze, priority,
labels. Each one locks the conversation, leaves a timeline entry and tells everyone who should know."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from conversations.inbox.services.assignment import conversation_assignee_set, conversation_auto_assign
from conversations.inbox.services.snooze import conversation_snooze
from conversations.models import Conversation, Label, Message
from conversations.services.metrics import conversation_resolution_record
from conversations.services.timeline import conversation_change_emit, timeline_entry_create
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent, Team


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _refresh(target: Conversation, source: Conversation) -> Conversation:
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    # Related objects cached for the old values would be stale; Django has no public way to drop them.
    target._state.fields_cache.clear()  # noqa: SLF001
    return target


def _check_assignee(assignee: Agent, team_id: int | None) -> None:
    if not assignee.is_active:
        raise ApplicationError(
            f"{assignee.name} is deactivated.", code="invalid_assignee", fields={"assignee": ["Deactivated."]}
        )
    if team_id and not assignee.is_supervisor and not assignee.teams.filter(pk=team_id).exists():
        raise ApplicationError(
            f"{assignee.name} is not in this conversation's team; transfer it to their team instead.",
            code="invalid_assignee",
            fields={"assignee": ["Not a member of the conversation's team."]},
        )


def conversation_assign(*, conversation: Conversation, actor: Agent, assignee: Agent) -> Conversation:
    with transaction.atomic():
        conv = _locked(conversation)
        _check_assignee(assignee, conv.team_id)
        if conv.assignee_id != assignee.id:
            body = (
                f"{actor.name} took this conversation"
                if assignee.id == actor.id
                else f"{actor.name} assigned this to {assignee.name}"
            )
            conversation_assignee_set(conversation=conv, assignee=assignee, actor=actor, body=body)
    return _refresh(conversation, conv)


def conversation_unassign(*, conversation: Conversation, actor: Agent) -> Conversation:
    with transaction.atomic():
        conv = _locked(conversation)
        previous = conv.assignee
        if previous is not None:
            conversation_assignee_set(
                conversation=conv, assignee=None, actor=actor, body=f"{actor.name} unassigned {previous.name}"
            )
    return _refresh(conversation, conv)


def conversation_transfer(
    *, conversation: Conversation, actor: Agent, team: Team | None = None, assignee: Agent | None = None
) -> Conversation:
    """Move the conversation to another team (its queue, or one of its members) or to an agent of its team."""
    if team is None and assignee is None:
        raise ApplicationError("Transfer to a team or to an agent.", code="invalid", fields={"team": ["Required."]})
    with transaction.atomic():
        conv = _locked(conversation)
        if team is None or team.id == conv.team_id:
            if assignee is None:
                return _refresh(conversation, conv)
            _check_assignee(assignee, conv.team_id)
            conversation_assignee_set(
                conversation=conv,
                assignee=assignee,
                actor=actor,
                body=f"{actor.name} transferred this to {assignee.name}",
            )
            return _refresh(conversation, conv)
        if assignee is not None:
            _check_assignee(assignee, team.id)
        old_team_id, old_assignee_id = conv.team_id, conv.assignee_id
        conv.team = team
        conv.assignee = assignee
        conv.save(update_fields=["team", "assignee", "updated_at"])
        body = f"{actor.name} transferred this to {team.name}" + (f" ({assignee.name})" if assignee else "")
        timeline_entry_create(
            conversation=conv,
            actor=actor,
            body=body,
            event="transferred",
            meta={"team": {"id": team.id, "name": team.name}, "assignee_id": assignee.id if assignee else None},
        )
        conversation_change_emit(
            conversation=conv,
            change="transferred",
            actor=actor,
            old_team_id=old_team_id,
            old_assignee_id=old_assignee_id,
        )
        if assignee is None and team.auto_assign and conv.status == Conversation.Status.OPEN:
            conversation_auto_assign(conversation=conv)
    return _refresh(conversation, conv)


def conversation_resolve(*, conversation: Conversation, actor: Agent, seen_seq: int | None = None) -> Conversation:
    """Resolve, unless the customer wrote after what the agent saw (``seen_seq``, the last seq of their
    open thread): resolving then would bury an unanswered message, so it is refused (409)."""
    with transaction.atomic():
        conv = _locked(conversation)
        if conv.status == Conversation.Status.RESOLVED:
            return _refresh(conversation, conv)
        if seen_seq is not None:
            newer = Message.objects.filter(
                conversation=conv, seq__gt=seen_seq, sender=Message.Sender.CUSTOMER, is_private=False
            ).count()
            if newer:
                raise ApplicationError(
                    f"The customer wrote {newer} new message{'s' if newer > 1 else ''} since you looked:"
                    " read before resolving.",
                    code="new_messages",
                    status_code=409,
                )
        now = timezone.now()
        conv.status = Conversation.Status.RESOLVED
        conv.resolved_at = now
        conv.waiting_since = None
        conv.snoozed_until = None
        conv.snooze_until_open = False
        conv.save(
            update_fields=["status", "resolved_at", "waiting_since", "snoozed_until", "snooze_until_open", "updated_at"]
        )
        conversation_resolution_record(conversation=conv, now=now)
        timeline_entry_create(conversation=conv, actor=actor, body=f"{actor.name} resolved this", event="resolved")
        conversation_change_emit(
            conversation=conv,
            change="resolved",
            actor=actor,
            old_team_id=conv.team_id,
            old_assignee_id=conv.assignee_id,
        )
    return _refresh(conversation, conv)


def conversation_reopen(*, conversation: Conversation, actor: Agent) -> Conversation:
    with transaction.atomic():
        conv = _locked(conversation)
        if conv.status == Conversation.Status.OPEN:
            return _refresh(conversation, conv)
        conv.status = Conversation.Status.OPEN
        conv.resolved_at = None
        conv.snoozed_until = None
        conv.snooze_until_open = False
        conv.save(update_fields=["status", "resolved_at", "snoozed_until", "snooze_until_open", "updated_at"])
        timeline_entry_create(conversation=conv, actor=actor, body=f"{actor.name} reopened this", event="reopened")
        conversation_change_emit(
            conversation=conv,
            change="reopened",
            actor=actor,
            old_team_id=conv.team_id,
            old_assignee_id=conv.assignee_id,
        )
    return _refresh(conversation, conv)


def conversation_snooze_action(
    *, conversation: Conversation, actor: Agent, until: datetime | None = None, until_open: bool = False
) -> Conversation:
    """Snooze through the snooze service, which validates the request and owns waking conversations up."""
    result = conversation_snooze(conversation=conversation, actor=actor, until=until, until_open=until_open)
    conversation.refresh_from_db()
    return result


def conversation_priority_set(*, conversation: Conversation, actor: Agent, priority: int) -> Conversation:
    if priority not in Conversation.Priority.values:
        raise ApplicationError(
            "Priority must be 0 (none) to 4 (urgent).", code="invalid", fields={"priority": ["Between 0 and 4."]}
        )
    with transaction.atomic():
        conv = _locked(conversation)
        if conv.priority != priority:
            conv.priority = priority
            conv.save(update_fields=["priority", "updated_at"])
            label = Conversation.Priority(priority).label.lower()
            timeline_entry_create(
                conversation=conv,
                actor=actor,
                body=f"{actor.name} set the priority to {label}",
                event="priority",
                meta={"priority": priority},
            )
            conversation_change_emit(
                conversation=conv,
                change="priority",
                actor=actor,
                old_team_id=conv.team_id,
                old_assignee_id=conv.assignee_id,
            )
    return _refresh(conversation, conv)


def conversation_labels_set(*, conversation: Conversation, actor: Agent, label_ids: list[int]) -> Conversation:
    wanted = {label.id: label for label in Label.objects.filter(pk__in=set(label_ids))}
    unknown = set(label_ids) - set(wanted)
    if unknown:
        raise ApplicationError(
            f"No such label: {', '.join(map(str, sorted(unknown)))}.",
            code="invalid",
            fields={"labels": ["Unknown label."]},
        )
    with transaction.atomic():
        conv = _locked(conversation)
        current = {label.id: label for label in conv.labels.all()}
        added = [wanted[i] for i in wanted if i not in current]
        removed = [current[i] for i in current if i not in wanted]
        if added or removed:
            conv.labels.set(wanted.values())
            conv.save(update_fields=["updated_at"])
            parts = []
            if added:
                parts.append("added " + ", ".join(label.name for label in added))
            if removed:
                parts.append("removed " + ", ".join(label.name for label in removed))
            timeline_entry_create(
                conversation=conv,
                actor=actor,
                body=f"{actor.name} {' and '.join(parts)}",
                event="labels",
                meta={"added": [label.id for label in added], "removed": [label.id for label in removed]},
            )
            conversation_change_emit(
                conversation=conv,
                change="labels",
                actor=actor,
                old_team_id=conv.team_id,
                old_assignee_id=conv.assignee_id,
            )
    return _refresh(conversation, conv)
