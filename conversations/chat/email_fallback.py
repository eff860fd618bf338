"""E-mail fallback for the chat page: an agent reply the customer has not seen in N minutes is e-mailed
once per unseen batch, and the customer's e-mailed answer comes back into the conversation."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from conversations.models import Conversation, Message, OutboxItem
from conversations.services.outbox import EMAIL_FALLBACK, outbox_add, outbox_cancel
from customers.models import ChannelKind


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


def email_fallback_schedule(*, conversation: Conversation, message: Message) -> None:
    """After a public agent reply on web chat: e-mail the unseen replies if the customer does not see them."""
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


def email_fallback_send(item: OutboxItem) -> None:
    """Outbox handler: e-mail the replies still unseen when it runs (nothing if they were seen)."""
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
