"""E-mail fallback for the chat page: an agent reply the customer has not seen in N minutes is e-mailed
once per unseen batch, and the customer's e-mailed answer comes back into the conversation."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from conversations.chat.mail import fallback_email_send
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
    if OutboxItem.objects.filter(
        kind=EMAIL_FALLBACK, conversation=conversation, status=OutboxItem.Status.PENDING
    ).exists():
        return  # the e-mail already queued collects this reply too when it goes
    # One e-mail per batch, keyed by the reply that opened it: a reply after an e-mail went out (read or
    # not) opens a new batch, and a batch is never sent twice.
    outbox_add(
        kind=EMAIL_FALLBACK,
        key=f"email:{conversation.pk}:{message.seq}",
        conversation=conversation,
        payload={"from_seq": message.seq},
        run_after=timezone.now() + timedelta(minutes=settings.EMAIL_FALLBACK_MINUTES),
    )


def _mailed_through(conversation: Conversation) -> int:
    """The last reply seq an earlier e-mail of this conversation carried (0 if none went out)."""
    sent = OutboxItem.objects.filter(
        kind=EMAIL_FALLBACK, conversation=conversation, status=OutboxItem.Status.DONE
    ).values_list("payload", flat=True)
    return max((payload.get("mailed_through_seq", 0) for payload in sent), default=0)


def email_fallback_send(item: OutboxItem) -> None:
    """Outbox handler: e-mail the replies still unseen when it runs (nothing if they were seen)."""
    assert item.conversation_id is not None  # e-mail fallbacks are always queued for a conversation
    conversation = Conversation.objects.select_related("customer", "inbox").get(pk=item.conversation_id)
    mailed_through = _mailed_through(conversation)
    replies = [reply for reply in _unseen_replies(conversation) if reply.seq > mailed_through]
    if not replies or not conversation.customer.email:
        return  # seen meanwhile, already e-mailed, or nowhere to send it
    fallback_email_send(conversation=conversation, messages=replies)
    item.payload = {**item.payload, "mailed_through_seq": replies[-1].seq}
    item.save(update_fields=["payload"])


def email_fallback_cancel_if_seen(*, conversation: Conversation) -> int:
    """Drop the pending e-mail once the customer has seen every agent reply."""
    if _unseen_replies(conversation):
        return 0
    return outbox_cancel(kind=EMAIL_FALLBACK, conversation=conversation)
