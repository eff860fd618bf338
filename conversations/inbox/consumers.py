"""The agents' websocket: authenticate, join the agent's groups, forward events, call inbox services."""

import asyncio
import logging
from collections import deque
from types import SimpleNamespace
from typing import cast

from django.conf import settings

from conversations import payloads, realtime
from conversations.inbox.services.presence import (
    agent_presence_connected,
    agent_presence_set,
)
from conversations.selectors.core import conversation_get_for_agent, event_latest_seq
from conversations.services.messages import conversation_mark_read
from conversations.sockets import CLOSE_UNAUTHENTICATED, FrameConsumer, FrameError, db
from helpdesk.models import Agent

logger = logging.getLogger(__name__)

# Event seqs a socket remembers, to forward an event heard through two of its groups only once.
RECENT_EVENTS = 512


class AgentConsumer(FrameConsumer):
    """An agent's live connection: the events of every conversation they may see, and presence."""

    async def connect(self) -> None:
        # AuthMiddlewareStack puts a lazy proxy of the session's Agent here.
        user = cast(Agent | None, self.scope.get("user"))
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
        await self.send_json(payloads.agent_hello_frame(agent_id=user.id, event_seq=await db(event_latest_seq)()))
        await db(self.on_agent_connect)()
        self.recheck_task = asyncio.ensure_future(self.recheck_every(settings.AGENT_RECHECK_SECONDS))

    # --- Access, checked again while the socket lives ---------------------------------------------------
    # Permissions are not only checked at connect: a deactivated agent is dropped, and an agent moved
    # between teams hears only their new teams, on the next frame they send and every few seconds anyway.

    async def receive_json(self, content, **kwargs):
        if not await self.recheck():
            return
        await super().receive_json(content, **kwargs)

    async def recheck_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if not await self.recheck():
                return

    async def recheck(self) -> bool:
        groups = await db(self.current_groups)()
        if groups is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        for group in set(self.groups_joined) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(groups) - set(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = groups
        return True

    def current_groups(self) -> list[str] | None:
        """The groups the agent may hear now; None once they may not use the inbox at all."""
        agent = Agent.objects.filter(pk=self.agent.pk, is_active=True).first()
        if agent is None:
            return None
        self.agent = agent
        return self.agent_groups(agent)

    @staticmethod
    def agent_groups(user) -> list[str]:
        groups = [realtime.agent_group(user.id), realtime.UNTEAMED_GROUP]
        groups += [realtime.team_group(team_id) for team_id in user.teams.values_list("id", flat=True)]
        if user.is_supervisor:
            groups.append(realtime.SUPERVISORS_GROUP)
        return groups

    async def disconnect(self, code):
        task = getattr(self, "recheck_task", None)
        if task is not None:
            task.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if hasattr(self, "agent"):
            await db(self.on_agent_disconnect)()

    def on_agent_connect(self) -> None:
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

    def _conversation(self, content):
        conversation_id = content.get("conversation_id")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            raise FrameError("invalid", "conversation_id must be a whole number.")
        conversation = conversation_get_for_agent(agent=self.agent, conversation_id=conversation_id)
        if conversation is None:
            raise FrameError("not_found", "No such conversation, or not one you may see.")
        return conversation

    async def frame_presence_heartbeat(self, content):
        availability, event_seq = await db(self._presence_heartbeat)()
        await self.send_json(
            payloads.presence_ack_frame(availability=availability, event_seq=event_seq, ref=content.get("ref"))
        )

    def _presence_heartbeat(self) -> tuple[str, int]:
        # An open socket is an agent who is there: a heartbeat after a sweep turned them offline (their
        # laptop slept, the worker ran late) brings them back, unless they chose offline.
        return agent_presence_connected(agent=self.agent).availability, event_latest_seq()

    async def frame_presence_set(self, content):
        availability, event_seq = await db(self._presence_set)(str(content.get("availability")))
        await self.send_json(
            payloads.presence_ack_frame(availability=availability, event_seq=event_seq, ref=content.get("ref"))
        )

    def _presence_set(self, availability: str) -> tuple[str, int]:
        return agent_presence_set(agent=self.agent, availability=availability).availability, event_latest_seq()

    async def frame_typing(self, content):
        if self.typing_allowed(content):
            await db(self._typing)(content)

    def _typing(self, content) -> None:
        conversation = self._conversation(content)
        is_typing = bool(content.get("is_typing"))
        private = bool(content.get("private"))
        frame = payloads.agent_typing_frame(
            conversation_id=conversation.id, agent=self.agent, is_typing=is_typing, private=private
        )
        audience = SimpleNamespace(agent_id=None, team_id=conversation.team_id, assignee_id=conversation.assignee_id)
        realtime.broadcast_to_agents(realtime.event_audience(audience), frame)
        if not private:
            # A note being written is nobody's business but the agents'.
            realtime.broadcast_to_customer(
                conversation.id, payloads.agent_typing_to_customer_frame(is_typing=is_typing)
            )

    async def frame_read(self, content):
        conversation = await db(self._read)(content)
        await self.send_json(payloads.agent_read_ack_frame(conversation, ref=content.get("ref")))

    def _read(self, content):
        conversation = self._conversation(content)
        seq = content.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise FrameError("invalid", "seq must be a whole number.")
        return conversation_mark_read(conversation=conversation, seq=seq, by_customer=False)
