"""Writing to the message log: gapless per-conversation seqs, idempotent resends, broadcast on commit."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations import payloads, realtime
from conversations.models import Conversation, Inbox, Message
from conversations.services.events import event_emit
from conversations.services.outbox import DELIVER, outbox_add
from customers.models import ChannelKind, Customer
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent

# Channels whose messages leave through a connector (the worker); web chat's leave through the socket.
CONNECTOR_CHANNELS = frozenset({ChannelKind.WHATSAPP, ChannelKind.MESSENGER, ChannelKind.APPLE, ChannelKind.API})


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ApplicationError("A message needs some text.", code="empty_message", fields={"body": ["Required."]})
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise ApplicationError(
            f"A message can be at most {settings.MESSAGE_MAX_CHARS} characters long (this one has {len(body)}).",
            code="message_too_long",
            fields={"body": [f"At most {settings.MESSAGE_MAX_CHARS} characters."]},
            status_code=413,
        )
    return body


def _clean_client_id(client_id: str | None) -> str | None:
    if client_id in (None, ""):
        return None
    client_id = str(client_id)
    if len(client_id) > 64:
        raise ApplicationError(
            "client_id must be at most 64 characters.", code="invalid", fields={"client_id": ["Too long."]}
        )
    return client_id


def conversation_create(
    *, inbox: Inbox, customer: Customer, context: dict[str, Any] | None = None, subject: str = ""
) -> Conversation:
    with transaction.atomic():
        conversation = Conversation.objects.create(
            inbox=inbox, customer=customer, team_id=inbox.team_id, context=context or {}, subject=subject
        )
        event_emit(
            type=payloads.CONVERSATION_CREATED,
            conversation=conversation,
            payload=payloads.conversation_created_event(conversation),
        )
    return conversation


def message_create(
    *,
    conversation: Conversation,
    sender: str,
    body: str,
    author: Agent | None = None,
    is_private: bool = False,
    client_id: str | None = None,
    external_id: str | None = None,
    event: str = "",
    meta: dict[str, Any] | None = None,
    delivery_status: str = Message.Delivery.SENT,
    after: Callable[[Conversation, Message], None] | None = None,
) -> tuple[Message, bool]:
    """Append a message to the conversation's log. Returns (message, created).

    A resend with a ``client_id`` (or channel ``external_id``) already in the log returns the stored
    message and ``created=False``: nothing is written or broadcast twice. ``after`` is the caller's list of
    steps that follow a stored message (``conversations.messaging``); it runs in this transaction, before
    the message's event is logged, so the event carries what the steps changed (an assignee, mentions).
    A public message that is not the customer's is queued for delivery on connector channels here.
    """
    body = _clean_body(body)
    client_id = _clean_client_id(client_id)
    if sender == Message.Sender.CUSTOMER and is_private:
        raise ApplicationError("Customers cannot write private notes.", code="forbidden", status_code=403)
    if sender == Message.Sender.AGENT and author is None:
        raise ApplicationError("An agent message needs its author.", code="invalid")

    with transaction.atomic():
        # The row lock serialises writers of one conversation, so seq = last_seq + 1 has no gaps and the
        # duplicate check below cannot race a concurrent resend of the same client_id.
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if client_id is not None:
            existing = Message.objects.filter(conversation=conv, client_id=client_id).select_related("author").first()
            if existing:
                return existing, False
        if external_id is not None:
            existing = (
                Message.objects.filter(conversation=conv, external_id=external_id).select_related("author").first()
            )
            if existing:
                return existing, False

        now = timezone.now()
        message = Message.objects.create(
            conversation=conv,
            seq=conv.last_seq + 1,
            sender=sender,
            author=author,
            body=body,
            is_private=is_private,
            client_id=client_id,
            external_id=external_id,
            event=event,
            meta=meta or {},
            delivery_status=delivery_status,
        )
        fields = ["last_seq", "updated_at"]
        conv.last_seq = message.seq
        prev_public_seq = conv.last_public_seq
        if not is_private:
            conv.last_message_at = now
            conv.last_public_seq = message.seq
            fields += ["last_message_at", "last_public_seq"]
        if sender == Message.Sender.CUSTOMER:
            conv.last_customer_message_at = now
            conv.customer_read_seq = message.seq
            fields += ["last_customer_message_at", "customer_read_seq"]
            if conv.waiting_since is None:
                conv.waiting_since = now
                fields.append("waiting_since")
            if conv.status in (Conversation.Status.PENDING, Conversation.Status.SNOOZED):
                conv.status = Conversation.Status.OPEN
                conv.snoozed_until = None
                conv.snooze_until_open = False
                fields += ["status", "snoozed_until", "snooze_until_open"]
        elif sender == Message.Sender.AGENT:
            # An agent has read everything up to what they answer.
            conv.agent_read_seq = message.seq
            fields.append("agent_read_seq")
            if not is_private:
                conv.last_agent_reply_at = now
                conv.waiting_since = None
                fields += ["last_agent_reply_at", "waiting_since"]
                if conv.first_response_at is None:
                    conv.first_response_at = now
                    conv.first_response_seconds = int((now - conv.created_at).total_seconds())
                    fields += ["first_response_at", "first_response_seconds"]
        conv.save(update_fields=fields)
        conversation.__dict__.update({f: getattr(conv, f) for f in fields})

        if after is not None:
            after(conv, message)
        if not is_private and sender != Message.Sender.CUSTOMER and conversation.inbox.kind in CONNECTOR_CHANNELS:
            _delivery_queue(conversation=conv, message=message)

        event_emit(
            type=payloads.MESSAGE_CREATED, conversation=conv, payload=payloads.message_created_event(message, conv)
        )
        if not is_private:
            frame = payloads.message_frame(message, prev_seq=prev_public_seq)
            transaction.on_commit(lambda: realtime.broadcast_to_customer(conv.id, frame))
    return message, True


def _delivery_queue(*, conversation: Conversation, message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(delivery_status=Message.Delivery.PENDING)
    message.delivery_status = Message.Delivery.PENDING
    outbox_add(kind=DELIVER, key=f"deliver:{message.pk}", conversation=conversation, message=message)


def system_message_create(
    *, conversation: Conversation, body: str, event: str, meta: dict[str, Any] | None = None, is_private: bool = False
) -> Message:
    """A timeline entry or automatic reply written by the system ("Ana assigned this to Ben")."""
    message, _ = message_create(
        conversation=conversation,
        sender=Message.Sender.SYSTEM,
        body=body,
        event=event,
        meta=meta,
        is_private=is_private,
    )
    return message


def conversation_mark_read(*, conversation: Conversation, seq: int, by_customer: bool) -> Conversation:
    """Move a read cursor forward (never back) and tell the other side."""
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        seq = min(int(seq), conv.last_seq)
        field = "customer_read_seq" if by_customer else "agent_read_seq"
        if seq <= getattr(conv, field):
            return conv
        setattr(conv, field, seq)
        conv.save(update_fields=[field, "updated_at"])
        if by_customer:
            Message.objects.filter(
                conversation=conv, seq__lte=seq, sender__in=[Message.Sender.AGENT, Message.Sender.SYSTEM]
            ).exclude(delivery_status=Message.Delivery.READ).update(delivery_status=Message.Delivery.READ)
        event_emit(
            type=payloads.CONVERSATION_READ,
            conversation=conv,
            payload=payloads.conversation_read_event(conv, seq=seq, by_customer=by_customer),
        )
        if not by_customer:
            frame = payloads.agent_read_frame(seq=seq)
            transaction.on_commit(lambda: realtime.broadcast_to_customer(conv.id, frame))
    return conv
