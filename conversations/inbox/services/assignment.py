"""Who answers a conversation: automatic assignment, backlog hand-out, redistribution and the unassigned alert.

Automatic assignment picks, per team, the least-loaded online member under capacity (round-robin among
equally loaded ones); a returning customer goes back to the agent who helped them last when that agent is
online and has room. Assigners of one team queue on the team's row lock, and conversations are taken with
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent assigners never hand one conversation out
twice nor push an agent past capacity.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from conversations import payloads
from conversations.models import Conversation, Event, Message
from conversations.services.events import event_emit
from conversations.services.timeline import conversation_change_emit, timeline_entry_create
from helpdesk.models import Agent, Team

# Conversations that count against an agent's capacity.
ACTIVE_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING)
UNASSIGNED_ALERT = payloads.UNASSIGNED_ALERT
BACKLOG_BATCH = 200


class _Load(TypedDict):
    load: int


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # Only a type: WithAnnotations cannot be subscripted with two arguments at runtime.
    AgentWithLoad = WithAnnotations[Agent, _Load]


def agent_load_list(*, team: Team) -> "list[AgentWithLoad]":
    """Online, active members of the team, each annotated with ``load`` (open conversations they carry)."""
    return list(
        team.members.filter(is_active=True, availability=Agent.Availability.ONLINE)
        .annotate(load=Count("assigned_conversations", filter=Q(assigned_conversations__status__in=ACTIVE_STATUSES)))
        .order_by("id")
    )


def _previous_agent_id(conversation: Conversation) -> int | None:
    return (
        Conversation.objects.filter(customer_id=conversation.customer_id, assignee__isnull=False)
        .exclude(pk=conversation.pk)
        .order_by("-id")
        .values_list("assignee_id", flat=True)
        .first()
    )


def _pick(team: Team, conversation: Conversation) -> Agent | None:
    candidates = [agent for agent in agent_load_list(team=team) if agent.load < agent.capacity]
    if not candidates:
        return None
    previous = _previous_agent_id(conversation)
    for agent in candidates:
        if agent.id == previous:
            return agent
    lowest = min(agent.load for agent in candidates)
    ties = [agent for agent in candidates if agent.load == lowest]
    pointer = team.last_assigned_agent_id or 0
    return next((agent for agent in ties if agent.id > pointer), ties[0])


def _lock(conversation_id: int) -> Conversation | None:
    # SKIP LOCKED: a conversation another assigner holds is theirs to hand out; we move on.
    return Conversation.objects.select_for_update(skip_locked=True).filter(pk=conversation_id).first()


def conversation_assignee_set(
    *, conversation: Conversation, assignee: Agent | None, actor: Agent | None, body: str | None
) -> None:
    """Change the assignee of a locked conversation, with its events and (given a body) a timeline entry."""
    old_team_id, old_assignee_id = conversation.team_id, conversation.assignee_id
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee", "updated_at"])
    if body is not None:
        timeline_entry_create(
            conversation=conversation,
            actor=actor,
            body=body,
            event="assigned" if assignee else "unassigned",
            meta={"assignee": {"id": assignee.id, "name": assignee.name} if assignee else None},
        )
    conversation_change_emit(
        conversation=conversation,
        change="assigned" if assignee else "unassigned",
        actor=actor,
        old_team_id=old_team_id,
        old_assignee_id=old_assignee_id,
    )


def _auto_assign_locked(team: Team, conversation: Conversation) -> Agent | None:
    agent = _pick(team, conversation)
    if agent is None:
        return None
    # No timeline entry: routine routing would put a line in every thread and a seq the customer never sees.
    # The assignee shows in the inbox, and the change is in the agents' event log.
    conversation_assignee_set(conversation=conversation, assignee=agent, actor=None, body=None)
    team.last_assigned_agent_id = agent.id
    team.save(update_fields=["last_assigned_agent"])
    return agent


def conversation_auto_assign(*, conversation: Conversation) -> Agent | None:
    """Give an unassigned conversation to the best online member of its team; None if nobody can take it."""
    if not conversation.team_id:
        return None
    with transaction.atomic():
        # The team's row lock queues the assigners of one team, so loads are read and raised one at a time.
        # NO KEY: a plain FOR UPDATE would conflict with the key-share lock that inserting a conversation
        # of the team takes, so two new conversations assigning at once would deadlock.
        team = Team.objects.select_for_update(no_key=True).filter(pk=conversation.team_id).first()
        locked = _lock(conversation.pk)
        if team is None or locked is None:
            return None
        if locked.assignee_id:
            return locked.assignee
        if locked.status not in ACTIVE_STATUSES:
            return None
        agent = _auto_assign_locked(team, locked)
    if agent is not None:
        # The caller's copy (message_create's locked row, during the hook) must see the new state too.
        conversation.assignee = agent
        conversation.last_seq, conversation.agent_read_seq = locked.last_seq, locked.agent_read_seq
    return agent


def team_backlog_assign(*, team: Team, limit: int = BACKLOG_BATCH) -> int:
    """Hand out the team's waiting unassigned conversations, oldest first, while someone has room."""
    if not team.auto_assign:
        return 0
    assigned = 0
    with transaction.atomic():
        locked = Team.objects.select_for_update(no_key=True).filter(pk=team.pk).first()
        if locked is None:
            return 0
        team = locked
        waiting = list(
            Conversation.objects.select_for_update(skip_locked=True)
            .filter(team=team, assignee__isnull=True, status=Conversation.Status.OPEN)
            .order_by(F("waiting_since").asc(nulls_last=True), "id")[:limit]
        )
        for conversation in waiting:
            if _auto_assign_locked(team, conversation) is None:
                break
            assigned += 1
    return assigned


def agent_offline_redistribute(*, agent: Agent) -> int:
    """When an agent goes offline, hand their open conversations in teams that ask for it to the others.

    Conversations nobody can take right now stay unassigned, first in line for the backlog hand-out.
    """
    moved = 0
    for team in agent.teams.filter(redistribute_on_offline=True):
        with transaction.atomic():
            team = Team.objects.select_for_update(no_key=True).get(pk=team.pk)
            conversations = list(
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(team=team, assignee=agent, status__in=ACTIVE_STATUSES)
                .order_by(F("waiting_since").asc(nulls_last=True), "id")
            )
            for conversation in conversations:
                conversation_assignee_set(
                    conversation=conversation, assignee=None, actor=None, body=f"Unassigned: {agent.name} went offline"
                )
                if team.auto_assign:
                    _auto_assign_locked(team, conversation)
                moved += 1
    return moved


def offline_assignees_release(*, now: datetime | None = None) -> int:
    """Hand back the open conversations of members offline longer than their team's grace period: to an
    online colleague with room (auto-assign), else to the team queue. No conversation waits on someone
    who went home. Agents whose time offline is unknown are left alone."""
    now = now or timezone.now()
    moved = 0
    for team in Team.objects.filter(release_after_offline_minutes__isnull=False):
        minutes = team.release_after_offline_minutes
        assert minutes is not None
        gone = Agent.objects.filter(
            availability=Agent.Availability.OFFLINE, offline_since__lte=now - timedelta(minutes=minutes)
        )
        with transaction.atomic():
            team = Team.objects.select_for_update(no_key=True).get(pk=team.pk)
            conversations = list(
                Conversation.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(team=team, assignee__in=gone, status__in=ACTIVE_STATUSES)
                .select_related("assignee")
                .order_by(F("waiting_since").asc(nulls_last=True), "id")
            )
            for conversation in conversations:
                assert conversation.assignee is not None
                conversation_assignee_set(
                    conversation=conversation,
                    assignee=None,
                    actor=None,
                    body=f"Unassigned: {conversation.assignee.name} has been offline for over {minutes} minutes",
                )
                if team.auto_assign:
                    _auto_assign_locked(team, conversation)
                moved += 1
    return moved


def unassigned_alert_sweep(*, now: datetime | None = None) -> int:
    """Alert each team once per waiting period about conversations left unassigned past its threshold."""
    now = now or timezone.now()
    alerted = 0
    for team in Team.objects.filter(unassigned_alert_minutes__gt=0):
        already = Event.objects.filter(
            type=UNASSIGNED_ALERT, conversation=OuterRef("pk"), created_at__gte=OuterRef("waiting_since")
        )
        overdue = (
            Conversation.objects.filter(
                team=team,
                assignee__isnull=True,
                status=Conversation.Status.OPEN,
                waiting_since__lte=now - timedelta(minutes=team.unassigned_alert_minutes),
            )
            .exclude(Exists(already))
            .select_related("customer")
            .order_by("waiting_since")
        )
        for conversation in overdue:
            assert conversation.waiting_since is not None  # the filter above
            with transaction.atomic():
                minutes = int((now - conversation.waiting_since).total_seconds() // 60)
                event_emit(
                    type=UNASSIGNED_ALERT,
                    conversation=conversation,
                    payload=payloads.unassigned_alert_event(
                        conversation, waiting_minutes=minutes, threshold_minutes=team.unassigned_alert_minutes
                    ),
                )
            alerted += 1
    return alerted


def conversation_assign_on_customer_message(*, conversation: Conversation, message: Message) -> None:
    """After a customer message: an unassigned conversation goes to an online agent with room, if any."""
    if message.sender != Message.Sender.CUSTOMER or conversation.assignee_id or not conversation.team_id:
        return
    if conversation.status not in ACTIVE_STATUSES:
        return
    if not _room_in_team(team_id=conversation.team_id):
        return
    conversation_auto_assign(conversation=conversation)


def _room_in_team(*, team_id: int) -> bool:
    """Whether the team assigns automatically and an online member has room, looked up without a lock.

    A busy team's members are usually all full: taking the team's lock to find that out would queue
    every customer message of the team behind one another until each commits. Whoever frees up room
    meanwhile is found by the next message, as under the lock."""
    return (
        Agent.objects.filter(
            teams__id=team_id, teams__auto_assign=True, is_active=True, availability=Agent.Availability.ONLINE
        )
        .annotate(
            load=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__status__in=ACTIVE_STATUSES),
                distinct=True,
            )
        )
        .filter(load__lt=F("capacity"))
        .exists()
    )
