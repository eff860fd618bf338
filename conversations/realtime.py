"""Group names and broadcast helpers: the one place that decides who hears what (shapes: ``payloads``).

The channel layer only rings the bell: every frame sent here is also in PostgreSQL (the message log and
the agents' event log), and clients that miss a frame catch up over HTTP. Broadcasts happen only after
commit and only to the groups named explicitly here.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import redis.exceptions
from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

from conversations import payloads

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


def event_audience(event) -> list[str]:
    """Groups that may see an agents' event: personal, or supervisors + the team (or everyone) + assignee."""
    if event.agent_id:
        return [agent_group(event.agent_id)]
    groups = [SUPERVISORS_GROUP]
    groups.append(team_group(event.team_id) if event.team_id else UNTEAMED_GROUP)
    if event.assignee_id:
        groups.append(agent_group(event.assignee_id))
    return groups


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for attempt in (1, 2):
        try:
            if _server_loop() is not None:
                async_to_sync(layer.group_send)(group, message)
            else:
                future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _sender_loop())
                future.result(timeout=SEND_TIMEOUT)
            return
        except (redis.exceptions.ConnectionError, ConnectionError) as exc:
            # After a Redis restart the first send finds a pooled connection the server closed; the pool
            # drops it and the second send connects afresh. Open sockets would otherwise miss the bell.
            if attempt == 2:
                logger.warning("broadcast to %s failed (clients will catch up): %s", group, exc)
        except Exception as exc:  # noqa: BLE001 - best effort: the database already holds it and clients will catch up
            logger.warning("broadcast to %s failed (clients will catch up): %s: %s", group, type(exc).__name__, exc)
            return


# How long a sync process waits for its broadcasts before going on (clients catch up over HTTP anyway).
SEND_TIMEOUT = 10.0
_sender: dict[str, Any] = {"loop": None, "pid": None}
_sender_lock = threading.Lock()


def _server_loop():
    """The event loop of the server thread that called us through sync_to_async, if any: there, the
    layer's connections already live on that loop."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _sender_loop() -> asyncio.AbstractEventLoop:
    """One long-lived loop per sync process (the Celery worker, a command) for channel-layer sends.

    async_to_sync outside a server runs each call on a new event loop, and the Redis layer keeps its
    connections per loop: every broadcast from the worker connected to Redis anew (about 5 ms a send,
    against 0.4 ms on a loop that stays)."""
    with _sender_lock:
        loop = _sender["loop"]
        if loop is None or loop.is_closed() or _sender["pid"] != os.getpid():  # a forked child starts afresh
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-sender", daemon=True).start()
            _sender.update(loop=loop, pid=os.getpid())
        return loop


def broadcast_event(event) -> None:
    frame = payloads.event_frame(event)
    for group in event_audience(event):
        _group_send(group, {"type": "agent.frame", "frame": frame})


def broadcast_to_customer(conversation_id: int, frame: Mapping[str, Any]) -> None:
    _group_send(conversation_customer_group(conversation_id), {"type": "customer.frame", "frame": frame})


def broadcast_to_visitor(visitor_key: str, frame: Mapping[str, Any]) -> None:
    """Every tab of one visitor; they follow a new conversation when they hear its ``conversation`` frame."""
    _group_send(visitor_group(visitor_key), {"type": "visitor.frame", "frame": frame})


def broadcast_to_agents(groups: list[str], frame: Mapping[str, Any]) -> None:
    """Ephemeral agent frames that are not logged (typing, presence)."""
    for group in groups:
        _group_send(group, {"type": "agent.frame", "frame": frame})
