"""The customer's websocket on the chat page (/ws/chat/<inbox_slug>/). See docs/protocol.md.

Authenticated by the signed visitor cookie; joins only the visitor's own conversation groups, which carry
public messages, agent typing and agent read receipts and nothing else. Async (see ``consumers.db``): frames
from the channel layer are forwarded on the event loop, database work runs on the thread pool."""

from conversations import payloads, realtime
from conversations.chat import identity
from conversations.chat import selectors as chat_selectors
from conversations.chat import services as chat_services
from conversations.chat.views import send_from_request
from conversations.models import Inbox
from conversations.sockets import CLOSE_UNAUTHENTICATED, FrameConsumer, FrameError, db
from customers.models import ChannelKind
from helpdesk import ratelimit
from helpdesk.errors import ApplicationError


class ChatConsumer(FrameConsumer):
    async def connect(self) -> None:
        self.groups_joined: set[str] = set()
        self.current_group: str | None = None
        try:
            self.visitor, hello = await db(self._open)()
        except ApplicationError as exc:
            # Accept first so the browser can read why before the close.
            await self.accept()
            await self.send_json(payloads.error_frame(exc.code, exc.message))
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.join(realtime.visitor_group(self.visitor.key))
        if hello["conversations"]:
            await self.follow(hello["conversations"][0]["id"])
            # Read again now that the socket hears the conversation: a message committed between the first
            # read and the join is in this hello, and everything after it arrives live.
            hello = await db(self._hello)()
        await self.accept()
        await self.send_json(hello)

    def _open(self):
        slug = self.scope["url_route"]["kwargs"]["inbox_slug"]
        inbox = Inbox.objects.filter(slug=slug, kind=ChannelKind.WEBCHAT, is_active=True).first()
        if inbox is None:
            raise ApplicationError("No such chat.", code="not_found")
        cookies = self.scope.get("cookies", {})
        visitor = identity.visitor_from_cookie(inbox=inbox, value=cookies.get(identity.cookie_name(inbox)))
        conversations = chat_selectors.chat_conversation_list(visitor=visitor)
        return visitor, payloads.customer_hello_frame(conversations)

    def _hello(self) -> payloads.CustomerHelloFrame:
        return payloads.customer_hello_frame(chat_selectors.chat_conversation_list(visitor=self.visitor))

    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def follow(self, conversation_id: int) -> bool:
        """Listen to the visitor's current conversation only: frames such as read receipts name no
        conversation, so an older one must not be heard alongside. True when it starts listening now."""
        group = realtime.conversation_customer_group(conversation_id)
        if group == self.current_group:
            return False
        if self.current_group is not None:
            await self.channel_layer.group_discard(self.current_group, self.channel_name)
            self.groups_joined.discard(self.current_group)
        await self.join(group)
        self.current_group = group
        return True

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    def _ip(self) -> str:
        headers = {k.decode().lower(): v.decode() for k, v in self.scope.get("headers", [])}
        meta = {"REMOTE_ADDR": (self.scope.get("client") or ["unknown"])[0]}
        if headers.get("x-forwarded-for"):
            meta["HTTP_X_FORWARDED_FOR"] = headers["x-forwarded-for"]
        return ratelimit.client_ip(meta)

    def _user_agent(self) -> str:
        return next((v.decode() for k, v in self.scope.get("headers", []) if k == b"user-agent"), "")

    async def frame_message(self, content):
        try:
            conversation_id, ack = await db(self._message)(content)
        except ratelimit.RateLimited as exc:
            await self.send_json(
                payloads.error_frame(
                    exc.code,
                    exc.message,
                    retry_after=exc.retry_after,
                    ref=content.get("ref"),
                    client_id=content.get("client_id"),
                )
            )
            return
        except ApplicationError as exc:
            await self.send_json(
                payloads.error_frame(
                    exc.code, exc.message, fields=exc.fields, ref=content.get("ref"), client_id=content.get("client_id")
                )
            )
            return
        joined = await self.follow(conversation_id)
        await self.send_json(ack)
        if joined:
            # The message started (or moved to) a conversation this socket was not hearing: what was
            # published before the join (an away reply is written right after commit) is sent from the log.
            for frame in await db(self._published_after)(conversation_id, ack["seq"]):
                await self.send_json(frame)

    def _message(self, content) -> tuple[int, payloads.AckFrame]:
        message, created, conversation = send_from_request(
            visitor=self.visitor, data=content, ip=self._ip(), user_agent=self._user_agent()
        )
        return conversation.id, payloads.ack_frame(
            message=message, conversation=conversation, created=created, ref=content.get("ref")
        )

    def _published_after(self, conversation_id: int, seq: int) -> list[payloads.MessageFrame]:
        conversation = chat_selectors.chat_conversation_get(visitor=self.visitor, conversation_id=conversation_id)
        frames = []
        prev_seq = seq  # the sender's own message, public, is the one before the first of these
        for message in chat_selectors.chat_message_list(conversation=conversation, after_seq=seq):
            frames.append(payloads.message_frame(message, prev_seq=prev_seq))
            prev_seq = message.seq
        return frames

    def _conversation(self, content):
        try:
            return chat_selectors.chat_conversation_get(
                visitor=self.visitor, conversation_id=content.get("conversation_id")
            )
        except ApplicationError as exc:
            raise FrameError(exc.code, exc.message) from None

    async def frame_typing(self, content):
        if self.typing_allowed(content):
            await db(self._typing)(content)

    def _typing(self, content) -> None:
        active = content.get("is_typing", content.get("active", True))
        chat_services.chat_typing(conversation=self._conversation(content), active=bool(active))

    async def frame_read(self, content):
        seq = content.get("seq")
        if not isinstance(seq, int) or seq < 0:
            raise FrameError("invalid", "read needs a whole-number 'seq'.")
        conversation = await db(self._read)(content, seq)
        # The same name as the agent socket's answer to ``read``.
        await self.send_json(payloads.customer_read_ack_frame(conversation, ref=content.get("ref")))

    def _read(self, content, seq: int):
        return chat_services.chat_mark_read(conversation=self._conversation(content), seq=seq)

    # Group messages: forwarded on the event loop, no thread hop.
    async def customer_frame(self, message):
        await self.send_json(message["frame"])

    async def visitor_frame(self, message):
        frame = message["frame"]
        if frame.get("type") == "conversation":
            await self.follow(frame["conversation"]["id"])
        await self.send_json(frame)
