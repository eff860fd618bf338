"""Backlog at opening: when a team's hours begin, the conversations that waited overnight are handed out,
oldest first, by the assignment rules (``assignment.team_backlog_assign``).

A beat sweep remembers when it last ran and asks the calendar engine whether each team opened since then,
so a missed tick or a restart cannot skip an opening, and a doubled tick hands out nothing twice (the
assignment takes only unassigned conversations, under row locks).
"""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone

from conversations.inbox.services.assignment import team_backlog_assign
from conversations.selectors.availability import default_policy, snapshot_for
from helpdesk.models import Team
from hours import engine
from hours.models import BusinessHoursPolicy
from hours.snapshot import PREFETCH

LAST_SWEEP_KEY = "hours:backlog-sweep:last"
# With no memory of the last run (first start, flushed cache), look back this far.
DEFAULT_LOOKBACK = timedelta(minutes=5)
MAX_LOOKBACK = timedelta(days=1)


def policy_opened_between(*, snapshot: engine.Policy, since: datetime, now: datetime) -> datetime | None:
    """The instant in (since, now] at which the policy last went from closed to open, if it is open now."""
    if not engine.is_open(snapshot, now) or since >= now:
        return None
    start = since
    if engine.is_open(snapshot, start):
        closes = engine.next_close(snapshot, start)
        if closes is None or closes > now:
            return None
        start = closes
    opened = None
    while True:
        candidate = engine.next_open(snapshot, start)
        if candidate is None or candidate > now:
            return opened
        opened = candidate
        closes = engine.next_close(snapshot, candidate)
        if closes is None or closes > now:
            return opened
        start = closes


def backlog_sweep(*, now: datetime | None = None, since: datetime | None = None) -> dict[int, int]:
    """Hand out the backlog of every team that opened since the last sweep: {team id: conversations assigned}."""
    now = now or timezone.now()
    if since is None:
        since = cache.get(LAST_SWEEP_KEY) or now - DEFAULT_LOOKBACK
    # After a long outage every team "opened" in between; a day back is enough to know that.
    since = max(since, now - MAX_LOOKBACK)
    cache.set(LAST_SWEEP_KEY, now, timeout=None)
    policies = BusinessHoursPolicy.objects.prefetch_related(*PREFETCH)
    teams = Team.objects.filter(auto_assign=True).prefetch_related(Prefetch("business_hours_policy", queryset=policies))
    fallback = None
    handed_out = {}
    for team in teams.order_by("id"):
        policy = team.business_hours_policy
        if policy is None:
            if fallback is None:
                fallback = [default_policy()]
            policy = fallback[0]
        if policy_opened_between(snapshot=snapshot_for(policy), since=since, now=now) is None:
            continue
        handed_out[team.pk] = team_backlog_assign(team=team)
    return handed_out
