"""Agent presence: online, away or offline, chosen by the agent and kept alive by the inbox socket.

``Agent.availability`` stays the one truth others read. A socket heartbeat refreshes a key in the Redis
cache that lives ``PRESENCE_TTL_SECONDS``; a beat sweep turns agents whose key lapsed (closed laptop, lost
network) offline. Coming online hands out the team's backlog; going offline may redistribute (team setting).
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from conversations import payloads, realtime
from conversations.inbox.services.assignment import agent_offline_redistribute, team_backlog_assign
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent

ONLINE, AWAY, OFFLINE = Agent.Availability.ONLINE, Agent.Availability.AWAY, Agent.Availability.OFFLINE


def presence_key(agent_id: int) -> str:
    return f"presence:alive:{agent_id}"


def _chose_offline_key(agent_id: int) -> str:
    return f"presence:chose-offline:{agent_id}"


def agent_presence_heartbeat(*, agent: Agent) -> None:
    cache.set(presence_key(agent.id), 1, timeout=settings.PRESENCE_TTL_SECONDS)


def agent_presence_is_alive(*, agent_id: int) -> bool:
    return cache.get(presence_key(agent_id)) is not None


def agent_presence_set(*, agent: Agent, availability: str, by_agent: bool = True) -> Agent:
    """Set an agent's presence and tell their teams; hand out work or take it back as the change requires."""
    if availability not in Agent.Availability.values:
        raise ApplicationError(
            "Presence is online, away or offline.", code="invalid", fields={"availability": ["Unknown value."]}
        )
    if by_agent:
        # Remember an explicit "offline" so reopening the inbox does not put the agent back online.
        if availability == OFFLINE:
            cache.set(_chose_offline_key(agent.id), 1, timeout=None)
        else:
            cache.delete(_chose_offline_key(agent.id))
    if availability != OFFLINE:
        agent_presence_heartbeat(agent=agent)
    with transaction.atomic():
        previous = Agent.objects.select_for_update().values_list("availability", flat=True).get(pk=agent.pk)
        agent.availability = availability
        if previous == availability:
            return agent
        Agent.objects.filter(pk=agent.pk).update(availability=availability)
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
    """The inbox socket opened: keep the agent alive, and bring them online unless they chose otherwise."""
    agent_presence_heartbeat(agent=agent)
    current = Agent.objects.values_list("availability", flat=True).get(pk=agent.pk)
    if current == OFFLINE and cache.get(_chose_offline_key(agent.id)) is None:
        return agent_presence_set(agent=agent, availability=ONLINE, by_agent=False)
    agent.availability = current
    return agent


def presence_sweep() -> int:
    """Turn offline every online or away agent whose heartbeat lapsed. Returns how many."""
    present = list(Agent.objects.filter(availability__in=[ONLINE, AWAY], is_active=True))
    if not present:
        return 0
    alive = cache.get_many([presence_key(agent.id) for agent in present])
    lapsed = [agent for agent in present if presence_key(agent.id) not in alive]
    for agent in lapsed:
        agent_presence_set(agent=agent, availability=OFFLINE, by_agent=False)
    return len(lapsed)
