"""Websocket protocol only: authenticate, join groups, validate frames, call services. See docs/protocol.md."""

import logging

from channels.generic.websocket import JsonWebsocketConsumer

from conversations import realtime
from conversations.selectors.core import event_latest_seq

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class FrameError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class FrameConsumer(JsonWebsocketConsumer):
    """Dispatches ``{"type": "x.y", ...}`` frames to ``frame_x_y`` methods and answers errors in-band."""

    def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            self.send_error("bad_frame", "Every frame is a JSON object with a string 'type'.")
            return
        handler = getattr(self, "frame_" + content["type"].replace(".", "_"), None)
        if handler is None:
            self.send_error("unknown_type", f"Unknown frame type {content['type']!r}.", ref=content.get("ref"))
            return
        try:
            handler(content)
        except FrameError as exc:
            self.send_error(exc.code, exc.message, ref=content.get("ref"))
        except Exception as exc:  # noqa: BLE001 - report application errors in-band, keep the socket
            from helpdesk.errors import ApplicationError

            if isinstance(exc, ApplicationError):
                self.send_error(exc.code, exc.message, ref=content.get("ref"), fields=exc.fields)
            else:
                logger.exception("frame %s failed", content.get("type"))
                self.send_error(
                    "server_error", "Something went wrong; nothing was lost, try again.", ref=content.get("ref")
                )

    def decode_json(self, text_data):
        import json

        try:
            return json.loads(text_data)
        except ValueError:
            return None

    def send_error(self, code: str, message: str, ref=None, fields=None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref is not None:
            frame["ref"] = ref
        if fields:
            frame["fields"] = fields
        self.send_json(frame)

    def frame_ping(self, content):
        self.send_json({"type": "pong", "ref": content.get("ref")})


class AgentConsumer(FrameConsumer):
    """An agent's live connection: the events of every conversation they may see, and presence."""

    def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.agent = user
        self.groups_joined = self.agent_groups(user)
        for group in self.groups_joined:
            self.channel_layer_join(group)
        self.accept()
        self.send_json({"type": "hello", "agent_id": user.id, "event_seq": event_latest_seq()})
        self.on_agent_connect()

    @staticmethod
    def agent_groups(user) -> list[str]:
        groups = [realtime.agent_group(user.id), realtime.UNTEAMED_GROUP]
        groups += [realtime.team_group(team_id) for team_id in user.teams.values_list("id", flat=True)]
        if user.is_supervisor:
            groups.append(realtime.SUPERVISORS_GROUP)
        return groups

    def channel_layer_join(self, group: str) -> None:
        from asgiref.sync import async_to_sync

        async_to_sync(self.channel_layer.group_add)(group, self.channel_name)

    def disconnect(self, code):
        from asgiref.sync import async_to_sync

        for group in getattr(self, "groups_joined", []):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)
        if hasattr(self, "agent"):
            self.on_agent_disconnect()

    def on_agent_connect(self) -> None:
        from conversations.services.presence import agent_presence_connected

        # A change of presence reaches this socket too (through the agent's own group).
        agent_presence_connected(agent=self.agent)

    def on_agent_disconnect(self) -> None:
        # Presence is not dropped here: the agent may have other tabs open. The heartbeat's TTL decides.
        pass

    def agent_frame(self, message):
        self.send_json(message["frame"])

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

    def frame_presence_heartbeat(self, content):
        from conversations.services.presence import agent_presence_heartbeat
        from helpdesk.models import Agent

        agent_presence_heartbeat(agent=self.agent)
        availability = Agent.objects.values_list("availability", flat=True).get(pk=self.agent.pk)
        self.send_json({**self._presence_ack(availability), "ref": content.get("ref")})

    def frame_presence_set(self, content):
        from conversations.services.presence import agent_presence_set

        agent = agent_presence_set(agent=self.agent, availability=str(content.get("availability")))
        self.send_json({**self._presence_ack(agent.availability), "ref": content.get("ref")})

    def frame_typing(self, content):
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

    def frame_read(self, content):
        from conversations.services.messages import conversation_mark_read

        conversation = self._conversation(content)
        seq = content.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise FrameError("invalid", "seq must be a whole number.")
        conversation = conversation_mark_read(conversation=conversation, seq=seq, by_customer=False)
        self.send_json(
            {
                "type": "read.ack",
                "conversation_id": conversation.id,
                "agent_read_seq": conversation.agent_read_seq,
                "ref": content.get("ref"),
            }
        )
