"""E-mail fallback for the chat page: an agent reply the customer has not seen in N minutes is e-mailed
once per unseen batch, and the customer's e-mailed answer comes back into the conversation."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Conversation, Message, OutboxItem
from conversations.services.messages import after_message, message_create
from conversations.services.outbox import outbox_add, outbox_cancel, outbox_handler
from customers.models import ChannelKind
from helpdesk.errors import ApplicationError

EMAIL_FALLBACK = "email_fallback"


def _unseen_replies(conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation=conversation,
            seq__gt=conversation.customer_read_seq,
            is_private=False,
            sender=Message.Sender.AGENT,
        )
        .select_related("author")
        .order_by("seq")
    )


@after_message
def _schedule_email(conversation: Conversation, message: Message) -> None:
    if message.sender != Message.Sender.AGENT or message.is_private:
        return
    if conversation.inbox.kind != ChannelKind.WEBCHAT or not conversation.customer.email:
        return
    # One key per unseen batch: replies written before the customer reads share one e-mail.
    outbox_add(
        kind=EMAIL_FALLBACK,
        key=f"email:{conversation.pk}:{conversation.customer_read_seq}",
        conversation=conversation,
        payload={"read_seq": conversation.customer_read_seq},
        run_after=timezone.now() + timedelta(minutes=settings.EMAIL_FALLBACK_MINUTES),
    )


@outbox_handler(EMAIL_FALLBACK)
def _send_email(item: OutboxItem) -> None:
    from conversations.chat.mail import fallback_email_send

    conversation = Conversation.objects.select_related("customer", "inbox").get(pk=item.conversation_id)
    replies = _unseen_replies(conversation)
    if not replies or not conversation.customer.email:
        return  # seen meanwhile, or nowhere to send it
    fallback_email_send(conversation=conversation, messages=replies)


def email_fallback_cancel_if_seen(*, conversation: Conversation) -> int:
    """Drop the pending e-mail once the customer has seen every agent reply."""
    if _unseen_replies(conversation):
        return 0
    return outbox_cancel(kind=EMAIL_FALLBACK, conversation=conversation)


def inbound_email_receive(*, conversation_id: int, body: str, message_id: str | None, sender: str) -> Message:
    """A customer's e-mailed answer, threaded by its reply-to address, into the conversation it continues."""
    from conversations.chat.services import conversation_for_customer_message, conversation_reopen
    from conversations.services.messages import conversation_create

    original = Conversation.objects.select_related("inbox", "customer").filter(pk=conversation_id).first()
    if original is None:
        raise ApplicationError("That conversation no longer exists.", code="not_found", status_code=404)
    with transaction.atomic():
        conversation = conversation_for_customer_message(inbox=original.inbox, customer=original.customer)
        if conversation is None:
            conversation = conversation_create(
                inbox=original.inbox, customer=original.customer, context={"continued_from": original.pk}
            )
        elif conversation.status == Conversation.Status.RESOLVED:
            conversation = conversation_reopen(conversation=conversation)
        message, _ = message_create(
            conversation=conversation,
            sender=Message.Sender.CUSTOMER,
            body=body,
            external_id=f"email:{message_id}"[:200] if message_id else None,
            meta={"via": "email", "from": sender[:254]},
        )
    return message
