"""Reads shared by the API, the inbox and the sockets: what an agent may see, the log after a seq."""

from django.db.models import DateTimeField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from conversations.models import Conversation, Event, Label, Message
from helpdesk.models import Agent

MAX_PAGE = 200


def conversation_visible_q(agent: Agent) -> Q:
    """Supervisors see everything; an agent sees their teams', their own and team-less conversations."""
    if agent.is_supervisor:
        return Q()
    team_ids = list(agent.teams.values_list("id", flat=True))
    return Q(team_id__in=team_ids) | Q(assignee_id=agent.id) | Q(team__isnull=True)


def conversation_visible_list(*, agent: Agent) -> QuerySet[Conversation]:
    return Conversation.objects.filter(conversation_visible_q(agent))


def conversation_get_for_agent(*, agent: Agent, conversation_id: int) -> Conversation | None:
    return (
        conversation_visible_list(agent=agent)
        .select_related("customer", "inbox", "assignee", "team")
        .filter(pk=conversation_id)
        .first()
    )


def conversation_with_view_data(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Everything ``payloads.conversation_payload`` reads, in one query plus one for labels."""
    last_public = Message.objects.filter(conversation=OuterRef("pk"), is_private=False).order_by("-seq")
    return (
        qs.select_related("customer", "inbox", "assignee", "team")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))
        .annotate(
            preview=Subquery(last_public.values("body")[:1]),
            preview_sender=Subquery(last_public.values("sender")[:1]),
            sort_recent=Coalesce("last_message_at", "created_at", output_field=DateTimeField()),
        )
    )


def conversation_view_get(*, conversation_id: int) -> Conversation:
    """One conversation as events carry it (their audience is chosen by ``realtime.event_audience``)."""
    return conversation_with_view_data(Conversation.objects.filter(pk=conversation_id)).get()


def conversation_view_for_agent(*, agent: Agent, conversation_id: int) -> Conversation | None:
    return conversation_with_view_data(conversation_visible_list(agent=agent).filter(pk=conversation_id)).first()


def message_list(
    *, conversation: Conversation, after_seq: int = 0, limit: int = 100, include_private: bool
) -> list[Message]:
    """Keyset page of the log after ``after_seq`` (the (conversation, seq) unique index serves it)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    qs = Message.objects.filter(conversation=conversation, seq__gt=after_seq).select_related("author")
    if not include_private:
        qs = qs.filter(is_private=False)
    return list(qs.order_by("seq")[:limit])


def event_visible_q(agent: Agent) -> Q:
    personal = Q(agent_id=agent.id)
    if agent.is_supervisor:
        return personal | Q(agent_id__isnull=True)
    team_ids = list(agent.teams.values_list("id", flat=True))
    shared = Q(team_id__in=team_ids) | Q(team_id__isnull=True) | Q(assignee_id=agent.id)
    return personal | (Q(agent_id__isnull=True) & shared)


def event_list(*, agent: Agent, after: int = 0, limit: int = 200) -> list[Event]:
    limit = max(1, min(int(limit), 500))
    return list(Event.objects.filter(event_visible_q(agent), seq__gt=after).order_by("seq")[:limit])


def event_latest_seq() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
