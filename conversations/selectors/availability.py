"""Is the team there? One answer for away replies, the chat page, the inbox and the API.

The policy that applies to a conversation is its team's, else its inbox's, else the default policy; no
policy at all means always open. Within hours the team is "away" when its policy's away switch is on or
when none of its agents is online; outside hours it is "closed" and ``next_open`` says until when.
"""

import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypedDict
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from conversations.models import Conversation, Inbox
from helpdesk.models import Agent, Team
from hours import engine
from hours.models import BusinessHoursPolicy, DateException, WeeklyWindow
from hours.snapshot import ALWAYS_OPEN, PREFETCH, policy_snapshot

# Whether someone is there, or how to find out.
Staffed = bool | Callable[[], bool]


@dataclass(frozen=True)
class Availability:
    state: Literal["open", "away", "closed"]  # "away": within hours but nobody there
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
    if inbox.team is not None and inbox.team.business_hours_policy_id:
        return inbox.team.business_hours_policy
    if inbox.business_hours_policy_id:
        return inbox.business_hours_policy
    return default_policy()


def policy_for_conversation(conversation: Conversation) -> BusinessHoursPolicy | None:
    if conversation.team is not None and conversation.team.business_hours_policy_id:
        return conversation.team.business_hours_policy
    return policy_for_inbox(conversation.inbox)


def snapshot_for(policy: BusinessHoursPolicy | None) -> engine.Policy:
    """The engine's view of a policy (always open when there is none)."""
    policy = _with_rows(policy)
    return ALWAYS_OPEN if policy is None else policy_snapshot(policy)


def _someone_online(team: Team | int | None) -> bool:
    online: int | None = getattr(team, "online_members", None)
    if online is not None:
        return online > 0
    agents = Agent.objects.filter(is_active=True, availability=Agent.Availability.ONLINE)
    if team is not None:
        # Team-less conversations are every agent's, so anyone online will do for them.
        agents = agents.filter(teams=team)
    return agents.exists()


def availability_for_policy(
    policy: BusinessHoursPolicy | None,
    *,
    now: datetime | None = None,
    team: Team | None = None,
    staffed: Staffed | None = None,
) -> Availability:
    """``staffed`` (a bool or a callable returning one) says whether someone is there; by default an
    online agent of ``team`` (or any online agent when there is no team)."""
    now = now or timezone.now()
    return _with_presence(_hours_state(policy, now), team=team, staffed=staffed)


def _hours_state(policy: BusinessHoursPolicy | None, now: datetime) -> "_Hours":
    """What the calendar and the away switch say at ``now`` (presence aside), and until when it holds."""
    policy = _with_rows(policy)
    snapshot = ALWAYS_OPEN if policy is None else policy_snapshot(policy)
    zone = snapshot.time_zone
    policy_id = policy.pk if policy is not None else None
    if not engine.is_open(snapshot, now):
        opens = engine.next_open(snapshot, now)
        return _Hours("closed", opens, None, zone, policy_id, valid_until=opens)
    closes = engine.next_close(snapshot, now)
    if policy is not None and policy.away_switched_on(now):
        until = min(filter(None, (closes, policy.away_until)), default=None)
        return _Hours("switched_away", None, closes, zone, policy_id, valid_until=until)
    return _Hours("hours", None, closes, zone, policy_id, valid_until=closes)


def _with_presence(hours: "_Hours", *, team: Team | int | None, staffed: Staffed | None = None) -> Availability:
    if hours.reason == "closed":
        return Availability("closed", hours.next_open, hours.time_zone, hours.policy_id, reason="closed")
    if hours.reason == "switched_away":
        return Availability(
            "away", None, hours.time_zone, hours.policy_id, next_close=hours.next_close, reason="switched_away"
        )
    if staffed is None:
        staffed = _someone_online(team)
    elif callable(staffed):
        staffed = staffed()
    if not staffed:
        return Availability(
            "away", None, hours.time_zone, hours.policy_id, next_close=hours.next_close, reason="nobody_online"
        )
    return Availability("open", None, hours.time_zone, hours.policy_id, next_close=hours.next_close, reason="hours")


# --- The cache of the calendar's answer ---------------------------------------------------------------
#
# Availability is asked on every customer message (the away-reply hook) and every chat page view, and
# computing it from scratch costs a handful of queries and a walk through the calendar. The calendar's
# answer only changes at its next transition (next_open / next_close / the away switch's end) or when a
# policy, its windows or exceptions, or a team's or inbox's choice of policy is edited. So each process
# keeps the answer per (team, inbox) until the earlier of that transition and CACHE_SECONDS, under a
# generation token in the shared cache that every such edit replaces, in every process at once.
# Presence (is someone online?) is not cached: it is one indexed query and changes without a save.

CACHE_SECONDS = 30  # also bounds staleness after edits that bypass signals (queryset.update())
CACHE_MAX_ENTRIES = 2048
GENERATION_SECONDS = 1.0
_GENERATION_KEY = "availability:generation"


@dataclass(frozen=True)
class _Hours:
    reason: str  # "hours" (within hours), "switched_away" or "closed"
    next_open: datetime | None
    next_close: datetime | None
    time_zone: str
    policy_id: int | None
    valid_until: datetime | None = None  # the next transition; None when there is none


@dataclass(frozen=True)
class _Entry:
    hours: _Hours
    presence_team_id: int | None
    computed_at: datetime
    valid_until: datetime
    expires: float  # time.monotonic()


_entries: dict[tuple[object, ...], _Entry] = {}
_entries_generation: list[str] = [""]
_generation_seen: list[Any] = ["", 0.0]  # [token, time.monotonic() when read]


def _generation() -> str:
    # Read from the shared cache at most every GENERATION_SECONDS: an edit in another process shows here
    # that much later at worst, and a message pays no Redis round trip for it.
    token: str | None
    read_at: float
    token, read_at = _generation_seen
    if token and time.monotonic() - read_at < GENERATION_SECONDS:
        return token
    token = cache.get(_GENERATION_KEY)
    if token is None:
        token = secrets.token_hex(8)
        if not cache.add(_GENERATION_KEY, token, timeout=None):
            token = cache.get(_GENERATION_KEY) or token
    _generation_seen[:] = [token, time.monotonic()]
    return token


def availability_cache_invalidate() -> None:
    """Forget every cached answer, here and (through the shared generation token) in every process."""
    _entries.clear()
    token = secrets.token_hex(8)
    cache.set(_GENERATION_KEY, token, timeout=None)
    _generation_seen[:] = [token, time.monotonic()]


def _cached(key: tuple[object, ...], now: datetime, compute: Callable[[], tuple[_Hours, int | None]]) -> _Entry:
    generation = _generation()
    if _entries_generation[0] != generation or len(_entries) > CACHE_MAX_ENTRIES:
        _entries.clear()
        _entries_generation[0] = generation
    entry = _entries.get(key)
    if entry is not None and entry.computed_at <= now < entry.valid_until and time.monotonic() < entry.expires:
        return entry
    hours, presence_team_id = compute()
    ttl_end = now + timedelta(seconds=CACHE_SECONDS)
    valid_until = min(hours.valid_until, ttl_end) if hours.valid_until else ttl_end
    entry = _Entry(hours, presence_team_id, now, valid_until, time.monotonic() + CACHE_SECONDS)
    if _entries_generation[0] == generation:
        _entries[key] = entry
    return entry


def _invalidate_on_commit(**kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    sender = kwargs.get("sender")
    if sender in (Team, Inbox) and update_fields and not _POLICY_CHOICE_FIELDS & set(update_fields):
        return  # e.g. the round-robin pointer: no bearing on hours
    _entries.clear()
    # Again after commit: another process could have cached the old rows meanwhile.
    availability_cache_invalidate()
    transaction.on_commit(availability_cache_invalidate)


_POLICY_CHOICE_FIELDS = {"business_hours_policy", "business_hours_policy_id", "team", "team_id"}


def _connect_invalidation() -> None:
    for model in (BusinessHoursPolicy, WeeklyWindow, DateException, Team, Inbox):
        uid = f"availability-cache-{model._meta.label_lower}"
        post_save.connect(_invalidate_on_commit, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_invalidate_on_commit, sender=model, dispatch_uid=uid + "-delete")


_connect_invalidation()


def inbox_availability(*, inbox: Inbox, now: datetime | None = None) -> Availability:
    now = now or timezone.now()

    def compute() -> tuple[_Hours, int | None]:
        return _hours_state(policy_for_inbox(inbox), now), inbox.team_id

    entry = _cached(("inbox", inbox.pk), now, compute)
    return _with_presence(entry.hours, team=entry.presence_team_id)


def conversation_availability(*, conversation: Conversation, now: datetime | None = None) -> Availability:
    now = now or timezone.now()

    def compute() -> tuple[_Hours, int | None]:
        presence_team_id = conversation.team_id or conversation.inbox.team_id
        return _hours_state(policy_for_conversation(conversation), now), presence_team_id

    entry = _cached(("conversation", conversation.team_id, conversation.inbox_id), now, compute)
    return _with_presence(entry.hours, team=entry.presence_team_id)


def team_availability(*, team: Team, now: datetime | None = None) -> Availability:
    now = now or timezone.now()
    entry = _cached(("team", team.pk), now, lambda: (_hours_state(policy_for_team(team), now), team.pk))
    return _with_presence(entry.hours, team=team)


def team_availability_list(
    *, teams: QuerySet[Team] | None = None, now: datetime | None = None
) -> list[tuple[Team, Availability]]:
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
    fallback: list[BusinessHoursPolicy | None] | None = None
    out: list[tuple[Team, Availability]] = []
    for team in qs.order_by("name"):
        policy = team.business_hours_policy
        if policy is None:
            if fallback is None:
                fallback = [policies.filter(is_default=True).order_by("pk").first()]
            policy = fallback[0]
        out.append((team, availability_for_policy(policy, now=now, team=team)))
    return out


# --- Human wording of "when we are back" ---------------------------------------------------------


class _Wording(TypedDict):
    days: tuple[str, ...]
    months: tuple[str, ...]
    today: str
    tomorrow: str
    weekday: str
    date: str
    unknown: str


_WORDS: dict[str, _Wording] = {
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


def language_code(language: str | None, *, supported: Collection[str] = LANGUAGES) -> str | None:
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


def business_seconds(*, policy: BusinessHoursPolicy | None, start: datetime, end: datetime) -> int:
    """Whole business seconds between two instants under a policy (wall-clock seconds without one)."""
    return int(engine.business_seconds_between(snapshot_for(policy), start, end))
