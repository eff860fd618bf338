"""@mentions in private notes: the agent mentioned gets a personal event (and so a notification)."""

import re

from django.db.models import Q

from conversations import payloads
from conversations.models import Conversation, Message
from conversations.services.events import event_emit
from helpdesk.models import Agent

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+-]{1,150})")


def mentioned_usernames(body: str) -> set[str]:
    return {name.rstrip(".").lower() for name in MENTION_RE.findall(body or "")}


def mention_recipients(*, conversation: Conversation, usernames: set[str], exclude_id: int | None) -> list[Agent]:
    """Mentioned agents who may see the conversation: telling anyone else would leak it."""
    if not usernames:
        return []
    query = Q()
    for name in usernames:
        query |= Q(username__iexact=name)
    agents = Agent.objects.filter(query, is_active=True)
    if exclude_id is not None:
        agents = agents.exclude(pk=exclude_id)
    if conversation.team_id:
        agents = agents.filter(
            Q(is_staff=True) | Q(is_superuser=True) | Q(teams=conversation.team_id) | Q(pk=conversation.assignee_id)
        )
    return list(agents.distinct())


def mentions_notify(*, conversation: Conversation, message: Message) -> None:
    """After a private note: tell each @mentioned agent who may see the conversation."""
    if not message.is_private or message.sender != Message.Sender.AGENT:
        return
    recipients = mention_recipients(
        conversation=conversation, usernames=mentioned_usernames(message.body), exclude_id=message.author_id
    )
    if not recipients:
        return
    Message.objects.filter(pk=message.pk).update(meta={**message.meta, "mentions": [a.id for a in recipients]})
    message.meta = {**message.meta, "mentions": [a.id for a in recipients]}
    for agent in recipients:
        event_emit(
            type=payloads.MENTION,
            conversation=conversation,
            agent_id=agent.id,
            payload=payloads.mention_event(message, conversation),
        )
