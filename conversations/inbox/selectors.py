"""Reads for the agent inbox: the conversation list (views, filters, search, keyset pages), live counts,
the thread and the customer panel. Every read is scoped to what the agent may see and runs a constant
number of queries whatever the page size."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from conversations.models import CannedResponse, Conversation, Message
from conversations.search import message_search
from conversations.selectors.core import conversation_visible_q, conversation_with_view_data
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent

VIEWS = ("mine", "unassigned", "team", "all", "snoozed", "resolved")
SORTS = ("waiting", "recent")
ACTIVE = (Conversation.Status.OPEN, Conversation.Status.PENDING)
MAX_PAGE = 100


@dataclass(frozen=True)
class InboxFilters:
    view: str = "all"
    status: str | None = None
    inbox_id: int | None = None
    channel: str | None = None
    team_id: int | None = None
    label_id: int | None = None
    waiting_minutes: int | None = None  # waiting at least this long
    q: str = ""
    sort: str = ""

    @property
    def order(self) -> str:
        return self.sort or ("recent" if self.view in ("resolved", "snoozed") else "waiting")


def _team_ids(agent: Agent) -> list[int]:
    return list(agent.teams.values_list("id", flat=True))


def view_q(view: str, *, agent: Agent, team_ids: list[int]) -> Q:
    if view not in VIEWS:
        raise ApplicationError(
            f"Unknown view {view!r}; use one of {', '.join(VIEWS)}.", code="invalid", fields={"view": ["Unknown."]}
        )
    active = Q(status__in=ACTIVE)
    return {
        "mine": active & Q(assignee_id=agent.id),
        "unassigned": active & Q(assignee__isnull=True),
        "team": active & Q(team_id__in=team_ids),
        "all": active,
        "snoozed": Q(status=Conversation.Status.SNOOZED),
        "resolved": Q(status=Conversation.Status.RESOLVED),
    }[view]


def _visible(agent: Agent, team_ids: list[int]) -> Q:
    if agent.is_supervisor:
        return Q()
    return Q(team_id__in=team_ids) | Q(assignee_id=agent.id) | Q(team__isnull=True)


def _filters_q(filters: InboxFilters, *, now: datetime) -> Q:
    q = Q()
    if filters.status:
        q &= Q(status=filters.status)
    if filters.inbox_id:
        q &= Q(inbox_id=filters.inbox_id)
    if filters.channel:
        q &= Q(inbox__kind=filters.channel)
    if filters.team_id:
        q &= Q(team_id=filters.team_id)
    if filters.label_id:
        # A subquery, not a join: a join would need DISTINCT, which sorts every matching row.
        labelled = Conversation.labels.through.objects.filter(label_id=filters.label_id).values("conversation_id")
        q &= Q(pk__in=labelled)
    if filters.waiting_minutes:
        q &= Q(waiting_since__lte=now - timedelta(minutes=filters.waiting_minutes))
    text = filters.q.strip()
    if text:
        matching = message_search(Message.objects.all(), text).values("conversation_id")
        q &= Q(customer__name__icontains=text) | Q(customer__email__icontains=text) | Q(pk__in=matching)
    return q


def _with_row_data(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Everything a list row shows, in one query plus one for labels."""
    return conversation_with_view_data(qs)


def cursor_encode(conversation: Conversation, order: str) -> str:
    # sort_recent is annotated by conversation_with_view_data; QuerySet[Conversation] does not carry it.
    key = conversation.waiting_since if order == "waiting" else conversation.sort_recent  # type: ignore[attr-defined]
    raw = json.dumps([key.isoformat() if key else None, conversation.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[datetime | None, int]:
    """The sort key (None for a conversation nobody waits on) and id the next page starts after."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, pk = json.loads(raw)
        when = None if key is None else parse_datetime(key)
        if (key is not None and when is None) or not isinstance(pk, int):
            raise ValueError
        return when, pk
    except (ValueError, TypeError):
        raise ApplicationError(
            "That page cursor is not one this server gave out.", code="invalid", fields={"cursor": ["Invalid."]}
        ) from None


def inbox_queryset(*, agent: Agent, filters: InboxFilters, team_ids: list[int] | None = None) -> QuerySet[Conversation]:
    team_ids = _team_ids(agent) if team_ids is None else team_ids
    now = timezone.now()
    qs = Conversation.objects.filter(
        _visible(agent, team_ids), view_q(filters.view, agent=agent, team_ids=team_ids), _filters_q(filters, now=now)
    )
    return qs


def inbox_list(
    *, agent: Agent, filters: InboxFilters, cursor: str | None = None, limit: int = 25
) -> tuple[list[Conversation], str | None]:
    """One keyset page of the agent's view: longest-waiting first unless sorted by most recent."""
    limit = max(1, min(int(limit), MAX_PAGE))
    order = filters.order
    if order not in SORTS:
        raise ApplicationError(f"Sort by {' or '.join(SORTS)}.", code="invalid", fields={"sort": ["Unknown."]})
    qs = _with_row_data(inbox_queryset(agent=agent, filters=filters))
    if order == "waiting":
        # Longest waiting first, then those nobody waits on. NULLS LAST on the plain column is a btree's
        # natural ascending order, so the partial index on (waiting_since, id) serves it without a sort.
        qs = qs.order_by(F("waiting_since").asc(nulls_last=True), "id")
        if cursor:
            key, pk = cursor_decode(cursor)
            if key is None:
                qs = qs.filter(waiting_since__isnull=True, id__gt=pk)
            else:
                qs = qs.filter(
                    Q(waiting_since__gt=key) | Q(waiting_since=key, id__gt=pk) | Q(waiting_since__isnull=True)
                )
    else:
        qs = qs.order_by("-sort_recent", "-id")
        if cursor:
            key, pk = cursor_decode(cursor)
            if key is None:
                raise ApplicationError("That page cursor is not one this server gave out.", code="invalid")
            qs = qs.filter(Q(sort_recent__lt=key) | Q(sort_recent=key, id__lt=pk))
    rows = list(qs[: limit + 1])
    next_cursor = cursor_encode(rows[limit - 1], order) if len(rows) > limit else None
    return rows[:limit], next_cursor


def inbox_row(*, agent: Agent, conversation_id: int, filters: InboxFilters) -> tuple[Conversation | None, bool]:
    """One conversation as a list row, and whether it belongs in the agent's current view (live updates)."""
    team_ids = _team_ids(agent)
    conversation = _with_row_data(Conversation.objects.filter(_visible(agent, team_ids), pk=conversation_id)).first()
    if conversation is None:
        return None, False
    in_view = inbox_queryset(agent=agent, filters=filters, team_ids=team_ids).filter(pk=conversation_id).exists()
    return conversation, in_view


def inbox_counts(*, agent: Agent) -> dict[str, int]:
    """How many conversations each view holds, and how many of Mine and Unassigned have unread messages."""
    team_ids = _team_ids(agent)
    unread = Q(last_seq__gt=F("agent_read_seq"))
    aggregates = {view: Count("id", filter=view_q(view, agent=agent, team_ids=team_ids)) for view in VIEWS}
    aggregates["unread_mine"] = Count("id", filter=view_q("mine", agent=agent, team_ids=team_ids) & unread)
    aggregates["unread_unassigned"] = Count("id", filter=view_q("unassigned", agent=agent, team_ids=team_ids) & unread)
    return Conversation.objects.filter(_visible(agent, team_ids)).aggregate(**aggregates)


def conversation_thread(
    *, agent: Agent, conversation_id: int, before_seq: int | None = None, limit: int = 200
) -> tuple[Conversation | None, list[Message], bool]:
    """The conversation (as a row) and its latest messages, private notes and timeline included.

    Returns (conversation, messages oldest first, has_earlier). Older pages: pass ``before_seq``."""
    limit = max(1, min(int(limit), 500))
    team_ids = _team_ids(agent)
    conversation = _with_row_data(Conversation.objects.filter(_visible(agent, team_ids), pk=conversation_id)).first()
    if conversation is None:
        return None, [], False
    qs = Message.objects.filter(conversation_id=conversation.id).select_related("author")
    if before_seq:
        qs = qs.filter(seq__lt=before_seq)
    newest_first = list(qs.order_by("-seq")[: limit + 1])
    has_earlier = len(newest_first) > limit
    return conversation, list(reversed(newest_first[:limit])), has_earlier


def customer_panel(*, agent: Agent, conversation: Conversation, limit: int = 10) -> dict[str, Any]:
    """Who the customer is and what else they asked, as far as this agent may see."""
    customer = conversation.customer
    others = list(
        Conversation.objects.filter(conversation_visible_q(agent), customer_id=customer.id)
        .exclude(pk=conversation.pk)
        .select_related("inbox")
        .annotate(
            preview=Subquery(
                Message.objects.filter(conversation=OuterRef("pk"), is_private=False)
                .order_by("-seq")
                .values("body")[:1]
            )
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return {"customer": customer, "channel": conversation.inbox, "others": others}


def canned_response_list(*, agent: Agent, prefix: str = "", limit: int = 20) -> list[CannedResponse]:
    """Saved replies for everyone plus those of the agent's teams, matching what follows the ``/``."""
    qs = CannedResponse.objects.filter(Q(team__isnull=True) | Q(team__in=agent.teams.all()))
    if prefix:
        qs = qs.filter(Q(shortcut__istartswith=prefix) | Q(title__icontains=prefix))
    return list(qs.order_by("shortcut")[: max(1, min(limit, 100))])
