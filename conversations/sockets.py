"""What every websocket consumer shares: frame dispatch, in-band errors, the thread-pool hop. See docs/protocol.md."""

import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations import payloads
from helpdesk.errors import ApplicationError

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401


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


MAX_REF_LENGTH = 100
TYPING_MIN_INTERVAL = 1.0


class FrameConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches ``{"type": "x.y", ...}`` frames to ``frame_x_y`` coroutines and answers errors in-band."""

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("bad_frame", "Every frame is a JSON object with a string 'type'.")
            return
        ref = content.get("ref")
        if not (ref is None or isinstance(ref, int | float) or (isinstance(ref, str) and len(ref) <= MAX_REF_LENGTH)):
            # Refs are echoed in answers: a client may not make the server send back what it likes.
            await self.send_error(
                "invalid_ref", f"'ref' is a number or a string of at most {MAX_REF_LENGTH} characters."
            )
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
        await self.send_json(payloads.error_frame(code, message, ref=ref, fields=fields))

    def typing_allowed(self, content: dict[str, Any]) -> bool:
        """At most one typing frame a second per conversation and state (a change of state always
        passes): a client cannot make the server fan out typing frames as fast as it sends them."""
        active = content.get("is_typing", content.get("active", True))
        conversation, private = content.get("conversation_id"), bool(content.get("private"))
        key = (conversation, private, bool(active))
        now = time.monotonic()
        sent = self.__dict__.setdefault("typing_sent", {})
        last = sent.get(key)
        if last is not None and now - last < TYPING_MIN_INTERVAL:
            return False
        sent[key] = now
        sent.pop((conversation, private, not active), None)
        return True

    async def frame_ping(self, content):
        await self.send_json(payloads.pong_frame(ref=content.get("ref")))
