"""Is the team there? One answer for away replies, the chat page, the inbox and the API.

The policy that applies to a conversation is its team's, else its inbox's, else the default policy; no
policy at all means always open. Within hours the team is "away" when its policy's away switch is on or
when none of its agents is online; outside hours it is "closed" and ``next_open`` says until when.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from conversations.models import Conversation, Inbox
from helpdesk.models import Agent, Team
from hours import engine
from hours.models import BusinessHoursPolicy
from hours.snapshot import ALWAYS_OPEN, PREFETCH, policy_snapshot


@dataclass(frozen=True)
class Availability:
    state: str  # "open", "away" (within hours but nobody there) or "closed"
    next_open: datetime | None  # aware; None when open now or when the policy never opens
    time_zone: str  # the policy's IANA zone, the fallback for formatting
    policy_id: int | None
    # When the current business window ends (open or away), else None.
    next_close: datetime | None = None
    # Why: "hours" (open), "switched_away", "nobody_online", "closed".
    reason: str = "hours"

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def _with_rows(policy: BusinessHoursPolicy | None) -> BusinessHoursPolicy | None:
    if policy is None or getattr(policy, "_prefetched_objects_cache", None):
        return policy
    return BusinessHoursPolicy.objects.prefetch_related(*PREFETCH).filter(pk=policy.pk).first()


def default_policy() -> BusinessHoursPolicy | None:
    return BusinessHoursPolicy.objects.filter(is_default=True).order_by("pk").first()


def policy_for_team(team: Team | None) -> BusinessHoursPolicy | None:
    if team is not None and team.business_hours_policy_id:
        return team.business_hours_policy
    return default_policy()


def policy_for_inbox(inbox: Inbox) -> BusinessHoursPolicy | None:
    if inbox.team_id and inbox.team.business_hours_policy_id:
        return inbox.team.business_hours_policy
    if inbox.business_hours_policy_id:
        return inbox.business_hours_policy
    return default_policy()


def policy_for_conversation(conversation: Conversation) -> BusinessHoursPolicy | None:
    if conversation.team_id and conversation.team.business_hours_policy_id:
        return conversation.team.business_hours_policy
    return policy_for_inbox(conversation.inbox)


def snapshot_for(policy: BusinessHoursPolicy | None) -> engine.Policy:
    """The engine's view of a policy (always open when there is none)."""
    policy = _with_rows(policy)
    return ALWAYS_OPEN if policy is None else policy_snapshot(policy)


def _someone_online(team: Team | None) -> bool:
    online = getattr(team, "online_members", None)
    if online is not None:
        return online > 0
    agents = Agent.objects.filter(is_active=True, availability=Agent.Availability.ONLINE)
    if team is not None:
        # Team-less conversations are every agent's, so anyone online will do for them.
        agents = agents.filter(teams=team)
    return agents.exists()


def availability_for_policy(
    policy: BusinessHoursPolicy | None, *, now: datetime | None = None, team: Team | None = None, staffed=None
) -> Availability:
    """``staffed`` (a bool or a callable returning one) says whether someone is there; by default an
    online agent of ``team`` (or any online agent when there is no team)."""
    now = now or timezone.now()
    policy = _with_rows(policy)
    snapshot = ALWAYS_OPEN if policy is None else policy_snapshot(policy)
    zone = snapshot.time_zone
    policy_id = policy.pk if policy is not None else None
    if not engine.is_open(snapshot, now):
        return Availability(
            state="closed",
            next_open=engine.next_open(snapshot, now),
            time_zone=zone,
            policy_id=policy_id,
            reason="closed",
        )
    closes = engine.next_close(snapshot, now)
    if policy is not None and policy.away_switched_on(now):
        return Availability("away", None, zone, policy_id, next_close=closes, reason="switched_away")
    if staffed is None:
        staffed = _someone_online(team)
    elif callable(staffed):
        staffed = staffed()
    if not staffed:
        return Availability("away", None, zone, policy_id, next_close=closes, reason="nobody_online")
    return Availability("open", None, zone, policy_id, next_close=closes, reason="hours")


def inbox_availability(*, inbox: Inbox, now: datetime | None = None) -> Availability:
    team = inbox.team if inbox.team_id else None
    return availability_for_policy(policy_for_inbox(inbox), now=now, team=team)


def conversation_availability(*, conversation: Conversation, now: datetime | None = None) -> Availability:
    team = (
        conversation.team if conversation.team_id else (conversation.inbox.team if conversation.inbox.team_id else None)
    )
    return availability_for_policy(policy_for_conversation(conversation), now=now, team=team)


def team_availability(*, team: Team, now: datetime | None = None) -> Availability:
    return availability_for_policy(policy_for_team(team), now=now, team=team)


def team_availability_list(*, teams=None, now: datetime | None = None) -> list[tuple[Team, Availability]]:
    """Every team (or the given queryset) with its availability, in a fixed number of queries."""
    now = now or timezone.now()
    policies = BusinessHoursPolicy.objects.prefetch_related(*PREFETCH)
    qs = teams if teams is not None else Team.objects.all()
    qs = qs.prefetch_related(Prefetch("business_hours_policy", queryset=policies)).annotate(
        online_members=Count(
            "members",
            filter=Q(members__availability=Agent.Availability.ONLINE, members__is_active=True),
            distinct=True,
        )
    )
    fallback = None
    out = []
    for team in qs.order_by("name"):
        policy = team.business_hours_policy
        if policy is None:
            if fallback is None:
                fallback = [policies.filter(is_default=True).order_by("pk").first()]
            policy = fallback[0]
        out.append((team, availability_for_policy(policy, now=now, team=team)))
    return out


# --- Human wording of "when we are back" ---------------------------------------------------------

_WORDS = {
    "en": {
        "days": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "months": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                   "October", "November", "December"),
        "today": "today at {t}", "tomorrow": "tomorrow at {t}", "weekday": "{day} at {t}",
        "date": "on {d} {month} at {t}", "unknown": "as soon as we can",
    },
    "de": {
        "days": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        "months": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                   "Oktober", "November", "Dezember"),
        "today": "heute um {t}", "tomorrow": "morgen um {t}", "weekday": "am {day} um {t}",
        "date": "am {d}. {month} um {t}", "unknown": "so bald wie möglich",
    },
    "fr": {
        "days": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        "months": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                   "octobre", "novembre", "décembre"),
        "today": "aujourd’hui à {t}", "tomorrow": "demain à {t}", "weekday": "{day} à {t}",
        "date": "le {d} {month} à {t}", "unknown": "dès que possible",
    },
    "es": {
        "days": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        "months": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                   "octubre", "noviembre", "diciembre"),
        "today": "hoy a las {t}", "tomorrow": "mañana a las {t}", "weekday": "el {day} a las {t}",
        "date": "el {d} de {month} a las {t}", "unknown": "lo antes posible",
    },
}  # fmt: skip
LANGUAGES = tuple(_WORDS)


def language_code(language: str | None, *, supported=LANGUAGES) -> str | None:
    """``de-DE`` → ``de`` when only ``de`` is supported; None when nothing fits."""
    if not language:
        return None
    tag = language.strip().replace("_", "-").lower()
    for candidate in (tag, tag.split("-")[0]):
        if candidate in supported:
            return candidate
    return None


def format_next_open(
    *, availability: Availability, time_zone: str | None, language: str | None, now: datetime | None = None
) -> str:
    """ "Monday at 09:00" in the customer's zone and language, falling back to the policy's zone and
    English. Within a week it names the day; further out, the date."""
    words = _WORDS[language_code(language) or "en"]
    if availability.next_open is None:
        return words["unknown"]
    zone_name = time_zone if time_zone and engine.is_time_zone(time_zone) else availability.time_zone
    zone = ZoneInfo(zone_name)
    when = availability.next_open.astimezone(zone)
    today = (now or timezone.now()).astimezone(zone).date()
    t = f"{when:%H:%M}"
    days = (when.date() - today).days
    if days <= 0:
        return words["today"].format(t=t)
    if days == 1:
        return words["tomorrow"].format(t=t)
    if days < 7:
        return words["weekday"].format(day=words["days"][when.weekday()], t=t)
    return words["date"].format(d=when.day, month=words["months"][when.month - 1], t=t)


def availability_payload(
    availability: Availability, *, time_zone: str | None = None, language: str | None = None, now=None
) -> dict:
    """The JSON shape of an availability for the API and the pages."""
    return {
        "state": availability.state,
        "is_open": availability.is_open,
        "reason": availability.reason,
        "next_open": availability.next_open.isoformat() if availability.next_open else None,
        "next_open_text": (
            format_next_open(availability=availability, time_zone=time_zone, language=language, now=now)
            if availability.state == "closed"
            else None
        ),
        "next_close": availability.next_close.isoformat() if availability.next_close else None,
        "time_zone": availability.time_zone,
        "policy_id": availability.policy_id,
    }


def business_seconds(*, policy: BusinessHoursPolicy | None, start: datetime, end: datetime) -> int:
    """Whole business seconds between two instants under a policy (wall-clock seconds without one)."""
    return int(engine.business_seconds_between(snapshot_for(policy), start, end))
