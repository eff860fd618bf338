"""Outbound delivery over a conversation's channel, through the outbox so nothing is lost or doubled."""

from conversations.connectors.api import ApiConnector
from conversations.connectors.apple import AppleConnector
from conversations.connectors.base import Connector, DeliveryError
from conversations.connectors.messenger import MessengerConnector
from conversations.connectors.whatsapp import WhatsAppConnector
from conversations.models import Inbox, Message, OutboxItem
from conversations.services.delivery import message_delivery_set
from customers.models import ChannelKind

# The connector of each channel whose messages leave through the worker (web chat's leave by socket).
CONNECTORS: dict[str, type[Connector]] = {
    ChannelKind.WHATSAPP: WhatsAppConnector,
    ChannelKind.MESSENGER: MessengerConnector,
    ChannelKind.APPLE: AppleConnector,
    ChannelKind.API: ApiConnector,
}


def connector_for(inbox: Inbox) -> Connector | None:
    """None for the web chat, whose delivery is the customer's socket (and e-mail when unseen)."""
    cls = CONNECTORS.get(inbox.kind)
    return cls(inbox) if cls else None


def delivery_run(item: OutboxItem) -> None:
    """Outbox handler: send one public message over its conversation's connector, recording the outcome."""
    assert item.message_id is not None  # deliveries are always queued for a message
    message = Message.objects.select_related("conversation__inbox", "author").get(pk=item.message_id)
    connector = connector_for(message.conversation.inbox)
    assert connector is not None  # only connector channels queue deliveries (CONNECTOR_CHANNELS)
    try:
        external_id = connector.send(conversation=message.conversation, message=message)
    except DeliveryError as exc:
        message_delivery_set(message=message, status=Message.Delivery.FAILED, error=str(exc))
        return
    if external_id:
        Message.objects.filter(pk=message.pk).update(external_id=external_id)
    message_delivery_set(message=message, status=Message.Delivery.SENT)
