"""Outbound delivery over a conversation's channel, through the outbox so nothing is lost or doubled."""

from conversations.connectors.base import connector_for
from conversations.connectors.transport import DeliveryError
from conversations.models import Message, OutboxItem
from conversations.services.messages import after_message
from conversations.services.outbox import outbox_add, outbox_handler

DELIVER = "deliver"


@after_message
def _queue_delivery(conversation, message) -> None:
    if message.is_private or message.sender == Message.Sender.CUSTOMER:
        return
    inbox = conversation.inbox
    if connector_for(inbox) is None:
        return
    Message.objects.filter(pk=message.pk).update(delivery_status=Message.Delivery.PENDING)
    message.delivery_status = Message.Delivery.PENDING
    outbox_add(kind=DELIVER, key=f"deliver:{message.pk}", conversation=conversation, message=message)


@outbox_handler(DELIVER)
def _deliver(item: OutboxItem) -> None:
    message = Message.objects.select_related("conversation__inbox", "author").get(pk=item.message_id)
    connector = connector_for(message.conversation.inbox)
    try:
        external_id = connector.send(conversation=message.conversation, message=message)
    except DeliveryError as exc:
        Message.objects.filter(pk=message.pk).update(delivery_status=Message.Delivery.FAILED)
        message.meta = {**message.meta, "delivery_error": str(exc)[:500]}
        Message.objects.filter(pk=message.pk).update(meta=message.meta)
        return
    updates = {"delivery_status": Message.Delivery.SENT}
    if external_id:
        updates["external_id"] = external_id
    Message.objects.filter(pk=message.pk).update(**updates)
