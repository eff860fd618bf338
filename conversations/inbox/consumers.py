"""Websocket protocol only: authenticate, join groups, validate frames, call services. See docs/protocol.md."""

import json
import logging
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations import realtime
from conversations.selectors.core import event_latest_seq

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Event seqs an agent socket remembers, to forward an event heard through two of its groups only once.
RECENT_EVENTS = 512


class FrameError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def db(fn):
    """Run ``fn`` (database work, through the services) on the shared thread pool, closing stale connections.

    The sockets are async for a measured reason: a sync consumer runs every handler (each group frame
    forwarded, each message written) through one thread per daphne process, so with 200 customer sockets
    and 10 agents at 25 messages/s the acks took seconds and most agents' frames never arrived. Here frame
    forwarding never leaves the event loop, and database work of different sockets runs concurrently."""
    return database_sync_to_async(fn, thread_sensitive=False)


class FrameConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches ``{"type": "x.y", ...}`` frames to ``frame_x_y`` coroutines and answers errors in-band."""

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("bad_frame", "Every frame is a JSON object with a string 'type'.")
            return
        handler = getattr(self, "frame_" + content["type"].replace(".", "_"), None)
        if handler is None:
            await self.send_error("unknown_type", f"Unknown frame type {content['type']!r}.", ref=content.get("ref"))
            return
        try:
            await handler(content)
        except FrameError as exc:
            await self.send_error(exc.code, exc.message, ref=content.get("ref"))
        except Exception as exc:  # noqa: BLE001 - report application errors in-band, keep the socket
            from helpdesk.errors import ApplicationError

            if isinstance(exc, ApplicationError):
                await self.send_error(exc.code, exc.message, ref=content.get("ref"), fields=exc.fields)
            else:
                logger.exception("frame %s failed", content.get("type"))
                await self.send_error(
                    "server_error", "Something went wrong; nothing was lost, try again.", ref=content.get("ref")
                )

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def send_error(self, code: str, message: str, ref=None, fields=None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref is not None:
            frame["ref"] = ref
        if fields:
            frame["fields"] = fields
        await self.send_json(frame)

    async def frame_ping(self, content):
        await self.send_json({"type": "pong", "ref": content.get("ref")})


class AgentConsumer(FrameConsumer):
    """An agent's live connection: the events of every conversation they may see, and presence."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent = user
        # An agent in several of these groups (their team and their own, say) hears some events twice.
        self.recent_events: set[int] = set()
        self.recent_order: deque[int] = deque()
        self.groups_joined = await db(self.agent_groups)(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "agent_id": user.id, "event_seq": await db(event_latest_seq)()})
        await db(self.on_agent_connect)()

    @staticmethod
    def agent_groups(user) -> list[str]:
        groups = [realtime.agent_group(user.id), realtime.UNTEAMED_GROUP]
        groups += [realtime.team_group(team_id) for team_id in user.teams.values_list("id", flat=True)]
        if user.is_supervisor:
            groups.append(realtime.SUPERVISORS_GROUP)
        return groups

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "agent"):
            await db(self.on_agent_disconnect)()

    def on_agent_connect(self) -> None:
        from conversations.inbox.services.presence import agent_presence_connected

        # A change of presence reaches this socket too (through the agent's own group).
        agent_presence_connected(agent=self.agent)

    def on_agent_disconnect(self) -> None:
        # Presence is not dropped here: the agent may have other tabs open. The heartbeat's TTL decides.
        pass

    def first_hearing(self, frame: dict) -> bool:
        """False for a logged event this socket already forwarded (heard through another of its groups)."""
        seq = frame.get("seq") if frame.get("type") == "event" else None
        if not isinstance(seq, int):
            return True
        if seq in self.recent_events:
            return False
        self.recent_events.add(seq)
        self.recent_order.append(seq)
        if len(self.recent_order) > RECENT_EVENTS:
            self.recent_events.discard(self.recent_order.popleft())
        return True

    async def agent_frame(self, message):
        if self.first_hearing(message["frame"]):
            await self.send_json(message["frame"])

    def _presence_ack(self, availability: str) -> dict:
        from django.conf import settings

        return {"type": "presence.ack", "availability": availability, "ttl_seconds": settings.PRESENCE_TTL_SECONDS}

    def _conversation(self, content):
        from conversations.selectors.core import conversation_get_for_agent

        conversation_id = content.get("conversation_id")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            raise FrameError("invalid", "conversation_id must be a whole number.")
        conversation = conversation_get_for_agent(agent=self.agent, conversation_id=conversation_id)
        if conversation is None:
            raise FrameError("not_found", "No such conversation, or not one you may see.")
        return conversation

    async def frame_presence_heartbeat(self, content):
        await self.send_json({**await db(self._presence_heartbeat)(), "ref": content.get("ref")})

    def _presence_heartbeat(self) -> dict:
        from conversations.inbox.services.presence import agent_presence_heartbeat
        from helpdesk.models import Agent

        agent_presence_heartbeat(agent=self.agent)
        availability = Agent.objects.values_list("availability", flat=True).get(pk=self.agent.pk)
        return self._presence_ack(availability)

    async def frame_presence_set(self, content):
        from conversations.inbox.services.presence import agent_presence_set

        availability = str(content.get("availability"))
        agent = await db(agent_presence_set)(agent=self.agent, availability=availability)
        await self.send_json({**self._presence_ack(agent.availability), "ref": content.get("ref")})

    async def frame_typing(self, content):
        await db(self._typing)(content)

    def _typing(self, content) -> None:
        from types import SimpleNamespace

        conversation = self._conversation(content)
        is_typing = bool(content.get("is_typing"))
        private = bool(content.get("private"))
        frame = {
            "type": "typing",
            "conversation_id": conversation.id,
            "agent": {"id": self.agent.id, "name": self.agent.name},
            "is_typing": is_typing,
            "private": private,
        }
        audience = SimpleNamespace(agent_id=None, team_id=conversation.team_id, assignee_id=conversation.assignee_id)
        realtime.broadcast_to_agents(realtime.event_audience(audience), frame)
        if not private:
            # A note being written is nobody's business but the agents'.
            realtime.broadcast_to_customer(conversation.id, {"type": "typing", "by": "agent", "is_typing": is_typing})

    async def frame_read(self, content):
        conversation = await db(self._read)(content)
        await self.send_json(
            {
                "type": "read.ack",
                "conversation_id": conversation.id,
                "agent_read_seq": conversation.agent_read_seq,
                "ref": content.get("ref"),
            }
        )

    def _read(self, content):
        from conversations.services.messages import conversation_mark_read

        conversation = self._conversation(content)
        seq = content.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise FrameError("invalid", "seq must be a whole number.")
        return conversation_mark_read(conversation=conversation, seq=seq, by_customer=False)
