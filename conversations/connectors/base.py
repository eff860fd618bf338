"""What every messaging connector provides (the outbound half of a channel)."""

from conversations.models import Conversation, Inbox, Message


class Connector:
    """Outbound half of a channel. Inbound webhooks are views in the same module."""

    kind: str = ""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    def send(self, *, conversation: Conversation, message: Message) -> str | None:
        """Deliver one public message; return the channel's id for it. Raise RetryLater or DeliveryError."""
        raise NotImplementedError
