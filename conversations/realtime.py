"""Group names, event payloads and broadcast helpers: the one place that decides who hears what.

The channel layer only rings the bell: every frame sent here is also in PostgreSQL (the message log and
the agents' event log), and clients that miss a frame catch up over HTTP. Broadcasts happen only after
commit and only to the groups named explicitly here.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# Every agent socket joins these; events are addressed by audience, never to "everyone" by accident.
SUPERVISORS_GROUP = "agents.supervisors"
UNTEAMED_GROUP = "agents.unteamed"  # conversations with no team are visible to every agent


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def conversation_customer_group(conversation_id: int) -> str:
    """Customer-side sockets of one conversation: public messages, agent typing, read receipts."""
    return f"conv.{conversation_id}.customer"


def visitor_group(visitor_key: str) -> str:
    """All sockets of one visitor, so a new conversation started in one tab appears in the others."""
    return f"visitor.{visitor_key}"


def message_payload(message, *, for_customer: bool) -> dict:
    """The one serialization of a message for sockets and for the catch-up API."""
    author = message.author
    payload = {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author": {"id": author.id, "name": author.name} if author else None,
        "body": message.body,
        "event": message.event,
        "client_id": message.client_id,
        "delivery_status": message.delivery_status,
        "created_at": message.created_at.isoformat(),
    }
    if for_customer:
        if author:
            payload["author"] = {"name": author.name}
    else:
        payload["is_private"] = message.is_private
        payload["meta"] = message.meta
    return payload


def event_audience(event) -> list[str]:
    """Groups that may see an agents' event: personal, or supervisors + the team (or everyone) + assignee."""
    if event.agent_id:
        return [agent_group(event.agent_id)]
    groups = [SUPERVISORS_GROUP]
    groups.append(team_group(event.team_id) if event.team_id else UNTEAMED_GROUP)
    if event.assignee_id:
        groups.append(agent_group(event.assignee_id))
    return groups


def event_frame(event) -> dict:
    return {
        "type": "event",
        "seq": event.seq,
        "event": event.type,
        "conversation_id": event.conversation_id,
        "data": event.payload,
    }


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as exc:  # noqa: BLE001 - best effort: the database already holds it and clients will catch up
        logger.warning("broadcast to %s failed (clients will catch up): %s: %s", group, type(exc).__name__, exc)


def broadcast_event(event) -> None:
    frame = event_frame(event)
    for group in event_audience(event):
        _group_send(group, {"type": "agent.frame", "frame": frame})


def broadcast_to_customer(conversation_id: int, frame: dict) -> None:
    _group_send(conversation_customer_group(conversation_id), {"type": "customer.frame", "frame": frame})


def broadcast_to_agents(groups: list[str], frame: dict) -> None:
    """Ephemeral agent frames that are not logged (typing, presence)."""
    for group in groups:
        _group_send(group, {"type": "agent.frame", "frame": frame})
