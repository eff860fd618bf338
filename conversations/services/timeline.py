"""Timeline entries and change events shared by assignment and the inbox actions.

Every change an agent or the system makes to a conversation leaves a private system message in its log
("Ana assigned this to Ben") and a ``conversation.updated`` event; when the change moves the conversation
away from some agents, they get the event too, so it leaves their lists live.
"""

from typing import Any

from conversations import payloads
from conversations.models import Conversation, Message
from conversations.services.events import event_emit
from conversations.services.messages import system_message_create
from helpdesk.models import Agent


def timeline_entry_create(
    *, conversation: Conversation, actor: Agent | None, body: str, event: str, meta: dict[str, Any] | None = None
) -> Message:
    """Write a private system message; call inside the transaction that holds the conversation's row lock."""
    caught_up = conversation.agent_read_seq >= conversation.last_seq
    message = system_message_create(
        conversation=conversation,
        body=body,
        event=event,
        meta={**(meta or {}), "actor": payloads.person_payload(actor)},
        is_private=True,
    )
    # An agent's own action is not news to the team: it should not light an unread badge on its own.
    if caught_up and conversation.agent_read_seq < message.seq:
        conversation.agent_read_seq = message.seq
        Conversation.objects.filter(pk=conversation.pk).update(agent_read_seq=message.seq)
    return message


def conversation_change_emit(
    *,
    conversation: Conversation,
    change: str,
    actor: Agent | None,
    old_team_id: int | None,
    old_assignee_id: int | None,
) -> None:
    """Tell the conversation's audience what changed, and the audience it had before if that was different."""
    payload = payloads.conversation_updated_event(conversation, change=change, actor=actor)
    event_emit(type=payloads.CONVERSATION_UPDATED, conversation=conversation, payload=payload)
    lost_team = old_team_id != conversation.team_id
    lost_assignee = old_assignee_id is not None and old_assignee_id != conversation.assignee_id
    if not (lost_team or lost_assignee):
        return
    if old_team_id is None and lost_team:
        # Team-less conversations were everyone's: the event without a team reaches every agent.
        event_emit(
            type=payloads.CONVERSATION_UPDATED,
            conversation=None,
            payload=payloads.conversation_updated_event(conversation, change=change, actor=actor, announce_id=True),
            assignee_id=old_assignee_id,
        )
    else:
        event_emit(
            type=payloads.CONVERSATION_UPDATED,
            conversation=conversation,
            payload=payload,
            team_id=old_team_id,
            # 0 is nobody: None would default to the conversation's current assignee.
            assignee_id=old_assignee_id or 0,
        )
