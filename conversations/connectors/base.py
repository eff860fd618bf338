"""What every messaging connector provides, and the registry that finds one for an inbox."""

from conversations.models import Conversation, Inbox, Message

REGISTRY: dict[str, type["Connector"]] = {}


class Connector:
    """Outbound half of a channel. Inbound webhooks are views in the same module."""

    kind: str = ""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    def send(self, *, conversation: Conversation, message: Message) -> str | None:
        """Deliver one public message; return the channel's id for it. Raise RetryLater or DeliveryError."""
        raise NotImplementedError


def register(cls: type[Connector]) -> type[Connector]:
    REGISTRY[cls.kind] = cls
    return cls


def connector_for(inbox: Inbox) -> Connector | None:
    """None for the web chat, whose delivery is the customer's socket (and e-mail when unseen)."""
    cls = REGISTRY.get(inbox.kind)
    return cls(inbox) if cls else None
