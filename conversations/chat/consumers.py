"""The customer's websocket on the chat page (/ws/chat/<inbox_slug>/). See docs/protocol.md.

Authenticated by the signed visitor cookie; joins only the visitor's own conversation groups, which carry
public messages, agent typing and agent read receipts and nothing else."""

from asgiref.sync import async_to_sync

from conversations import realtime
from conversations.chat import identity, throttles
from conversations.consumers import CLOSE_UNAUTHENTICATED, FrameConsumer, FrameError
from conversations.models import Inbox
from conversations.selectors import chat as chat_selectors
from conversations.services import chat as chat_services
from customers.models import ChannelKind
from helpdesk.errors import ApplicationError


class ChatConsumer(FrameConsumer):
    def connect(self):
        slug = self.scope["url_route"]["kwargs"]["inbox_slug"]
        inbox = Inbox.objects.filter(slug=slug, kind=ChannelKind.WEBCHAT, is_active=True).first()
        cookies = self.scope.get("cookies", {})
        try:
            if inbox is None:
                raise ApplicationError("No such chat.", code="not_found")
            self.visitor = identity.visitor_from_cookie(inbox=inbox, value=cookies.get(identity.cookie_name(inbox)))
        except ApplicationError as exc:
            # Accept first so the browser can read why before the close.
            self.accept()
            self.send_json({"type": "error", "code": exc.code, "message": exc.message})
            self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.groups_joined: set[str] = set()
        self.join(realtime.visitor_group(self.visitor.key))
        conversations = chat_selectors.chat_conversation_list(visitor=self.visitor)
        self.current_group = None
        if conversations:
            self.follow(conversations[0].id)
        self.accept()
        self.send_json(
            {"type": "hello", "conversations": [chat_services.chat_conversation_payload(c) for c in conversations]}
        )

    def join(self, group: str) -> None:
        if group not in self.groups_joined:
            async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
            self.groups_joined.add(group)

    def follow(self, conversation_id: int) -> None:
        """Listen to the visitor's current conversation only: frames such as read receipts name no
        conversation, so an older one must not be heard alongside."""
        group = realtime.conversation_customer_group(conversation_id)
        if group == self.current_group:
            return
        if self.current_group is not None:
            async_to_sync(self.channel_layer.group_discard)(self.current_group, self.channel_name)
            self.groups_joined.discard(self.current_group)
        self.join(group)
        self.current_group = group

    def disconnect(self, code):
        for group in getattr(self, "groups_joined", ()):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)

    def _ip(self) -> str:
        headers = {k.decode().lower(): v.decode() for k, v in self.scope.get("headers", [])}
        meta = {"REMOTE_ADDR": (self.scope.get("client") or ["unknown"])[0]}
        if headers.get("x-forwarded-for"):
            meta["HTTP_X_FORWARDED_FOR"] = headers["x-forwarded-for"]
        return throttles.client_ip(meta)

    def _user_agent(self) -> str:
        return next((v.decode() for k, v in self.scope.get("headers", []) if k == b"user-agent"), "")

    def frame_message(self, content):
        from conversations.chat.views import send_from_request

        try:
            message, created, conversation = send_from_request(
                visitor=self.visitor, data=content, ip=self._ip(), user_agent=self._user_agent()
            )
        except throttles.RateLimited as exc:
            self.send_json(
                {
                    "type": "error",
                    "code": exc.code,
                    "message": exc.message,
                    "retry_after": exc.retry_after,
                    "ref": content.get("ref"),
                    "client_id": content.get("client_id"),
                }
            )
            return
        except ApplicationError as exc:
            self.send_json(
                {
                    "type": "error",
                    "code": exc.code,
                    "message": exc.message,
                    "fields": exc.fields,
                    "ref": content.get("ref"),
                    "client_id": content.get("client_id"),
                }
            )
            return
        self.follow(conversation.id)
        self.send_json(
            {
                "type": "ack",
                "ref": content.get("ref"),
                "client_id": message.client_id,
                "seq": message.seq,
                "conversation": chat_services.chat_conversation_payload(conversation),
                "message": realtime.message_payload(message, for_customer=True),
                "duplicate": not created,
            }
        )

    def _conversation(self, content):
        try:
            return chat_selectors.chat_conversation_get(
                visitor=self.visitor, conversation_id=content.get("conversation_id")
            )
        except ApplicationError as exc:
            raise FrameError(exc.code, exc.message) from None

    def frame_typing(self, content):
        active = content.get("is_typing", content.get("active", True))
        chat_services.chat_typing(conversation=self._conversation(content), active=bool(active))

    def frame_read(self, content):
        seq = content.get("seq")
        if not isinstance(seq, int) or seq < 0:
            raise FrameError("invalid", "read needs a whole-number 'seq'.")
        conversation = chat_services.chat_mark_read(conversation=self._conversation(content), seq=seq)
        self.send_json({"type": "read.ok", "conversation_id": conversation.id, "seq": conversation.customer_read_seq})

    # Group messages.
    def customer_frame(self, message):
        self.send_json(message["frame"])

    def visitor_frame(self, message):
        frame = message["frame"]
        if frame.get("type") == "conversation":
            self.follow(frame["conversation"]["id"])
        self.send_json(frame)
