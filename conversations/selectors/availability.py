"""Is the team there? One answer for away replies, the chat page, the inbox and the API.

The policy that applies to a conversation is its team's, else its inbox's, else the default policy.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from conversations.models import Conversation, Inbox
from hours.models import BusinessHoursPolicy


@dataclass(frozen=True)
class Availability:
    state: str  # "open", "away" (within hours but nobody there) or "closed"
    next_open: datetime | None  # aware; None when open now or when the policy never opens
    time_zone: str  # the policy's IANA zone, the fallback for formatting
    policy_id: int | None

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def policy_for_inbox(inbox: Inbox) -> BusinessHoursPolicy | None:
    if inbox.team_id and inbox.team.business_hours_policy_id:
        return inbox.team.business_hours_policy
    if inbox.business_hours_policy_id:
        return inbox.business_hours_policy
    return BusinessHoursPolicy.objects.filter(is_default=True).first()


def policy_for_conversation(conversation: Conversation) -> BusinessHoursPolicy | None:
    if conversation.team_id and conversation.team.business_hours_policy_id:
        return conversation.team.business_hours_policy
    return policy_for_inbox(conversation.inbox)


def availability_for_policy(policy: BusinessHoursPolicy | None, *, now: datetime | None = None) -> Availability:
    now = now or timezone.now()
    if policy is None:
        return Availability(state="open", next_open=None, time_zone="UTC", policy_id=None)
    return Availability(state="open", next_open=None, time_zone=policy.time_zone, policy_id=policy.id)


def inbox_availability(*, inbox: Inbox, now: datetime | None = None) -> Availability:
    return availability_for_policy(policy_for_inbox(inbox), now=now)


def conversation_availability(*, conversation: Conversation, now: datetime | None = None) -> Availability:
    return availability_for_policy(policy_for_conversation(conversation), now=now)
