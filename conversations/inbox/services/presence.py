"""Agent presence: online, away or offline, chosen by the agent and kept alive by the inbox socket.

``Agent.availability`` stays the one truth others read. A socket heartbeat writes ``presence_seen_at``; a
beat sweep turns agents not heard from for ``PRESENCE_TTL_SECONDS`` (closed laptop, lost network) offline,
and the next heartbeat of a socket still open brings them back. It is all in the database, so a Redis
restart changes nobody's presence. Coming online hands out the team's backlog; going offline may
redistribute (team setting), and a member offline for the team's grace period hands theirs back.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conversations import payloads, realtime
from conversations.inbox.services.assignment import agent_offline_redistribute, team_backlog_assign
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent

ONLINE, AWAY, OFFLINE = Agent.Availability.ONLINE, Agent.Availability.AWAY, Agent.Availability.OFFLINE


def agent_presence_heartbeat(*, agent: Agent) -> None:
    Agent.objects.filter(pk=agent.pk).update(presence_seen_at=timezone.now())


def agent_presence_is_alive(*, agent_id: int) -> bool:
    since = timezone.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    return Agent.objects.filter(pk=agent_id, presence_seen_at__gte=since).exists()


def agent_presence_set(*, agent: Agent, availability: str, by_agent: bool = True) -> Agent:
    """Set an agent's presence and tell their teams; hand out work or take it back as the change requires."""
    if availability not in Agent.Availability.values:
        raise ApplicationError(
            "Presence is online, away or offline.", code="invalid", fields={"availability": ["Unknown value."]}
        )
    now = timezone.now()
    with transaction.atomic():
        previous = Agent.objects.select_for_update().values_list("availability", flat=True).get(pk=agent.pk)
        updates: dict[str, object] = {"availability": availability}
        if by_agent:
            # Remember an explicit "offline" so reopening the inbox does not put the agent back online.
            updates["offline_by_choice"] = availability == OFFLINE
        if availability != OFFLINE:
            updates["presence_seen_at"] = now
            updates["offline_since"] = None
        elif previous != OFFLINE:
            updates["offline_since"] = now
        Agent.objects.filter(pk=agent.pk).update(**updates)
        agent.availability = availability
        if previous == availability:
            return agent
        frame = payloads.presence_frame(agent=agent, availability=availability)
        groups = [realtime.SUPERVISORS_GROUP, realtime.agent_group(agent.id)]
        groups += [realtime.team_group(team_id) for team_id in agent.teams.values_list("id", flat=True)]
        transaction.on_commit(lambda: realtime.broadcast_to_agents(groups, frame))
    if availability == ONLINE:
        for team in agent.teams.all():
            team_backlog_assign(team=team)
    elif availability == OFFLINE:
        agent_offline_redistribute(agent=agent)
    return agent


def agent_presence_connected(*, agent: Agent) -> Agent:
    """The inbox socket opened, or beat: keep the agent alive, and bring them back online (after a sweep
    took them offline) unless they chose offline themselves."""
    agent_presence_heartbeat(agent=agent)
    current, chose_offline = Agent.objects.values_list("availability", "offline_by_choice").get(pk=agent.pk)
    if current == OFFLINE and not chose_offline:
        return agent_presence_set(agent=agent, availability=ONLINE, by_agent=False)
    agent.availability = current
    return agent


def presence_sweep() -> int:
    """Turn offline every online or away agent whose heartbeat lapsed. Returns how many."""
    since = timezone.now() - timedelta(seconds=settings.PRESENCE_TTL_SECONDS)
    lapsed = list(
        Agent.objects.filter(availability__in=[ONLINE, AWAY], is_active=True).filter(
            Q(presence_seen_at__isnull=True) | Q(presence_seen_at__lt=since)
        )
    )
    for agent in lapsed:
        agent_presence_set(agent=agent, availability=OFFLINE, by_agent=False)
    return len(lapsed)
