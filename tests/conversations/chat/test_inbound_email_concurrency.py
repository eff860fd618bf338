"""Two e-mails from one customer arriving at once, on PostgreSQL: the write path's customer lock makes them
continue one new conversation instead of starting one each."""

import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from conversations import messaging
from conversations.chat import identity
from conversations.models import Conversation, Message
from tests.factories import ConversationFactory, CustomerFactory, InboxFactory
from tests.services import need_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 2


def _raw_reply(conversation, text: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.com>"
    message["To"] = identity.reply_address(conversation=conversation)
    message["Subject"] = "Re: New reply"
    message["Message-ID"] = message_id
    message.set_content(text)
    return message.as_bytes()


def test_two_emails_from_one_customer_at_once_start_exactly_one_conversation(settings, monkeypatch):
    need_postgres()
    settings.INBOUND_MAIL_SECRET = "s3cret"
    customer = CustomerFactory(email="ada@example.com")
    # Resolved long ago, so each e-mail on its own would start a new conversation.
    original = ConversationFactory(
        inbox=InboxFactory(kind="webchat"),
        customer=customer,
        status=Conversation.Status.RESOLVED,
        resolved_at=timezone.now() - timedelta(days=settings.REOPEN_WINDOW_DAYS + 1),
    )

    # Hold each writer between "which conversation does this continue?" and "start one", so that without
    # the customer lock both would look before either creates. With the lock the second writer waits for
    # the lock instead, the barrier times out, and the first goes on alone.
    barrier = threading.Barrier(SENDERS, timeout=3)
    lookup = messaging.conversation_for_customer_message

    def lookup_then_wait(**kwargs):
        found = lookup(**kwargs)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(messaging, "conversation_for_customer_message", lookup_then_wait)
    answers: list[int] = []
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            raw = _raw_reply(original, f"Any news? ({n})", message_id=f"<race-{n}@mail.example.com>")
            response = Client().post(
                "/hooks/mail/inbound/", raw, content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer s3cret"
            )
            answers.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert answers == [200] * SENDERS
    started = Conversation.objects.filter(customer=customer).exclude(pk=original.pk)
    assert started.count() == 1
    assert Message.objects.filter(conversation__in=started, sender="customer").count() == SENDERS
