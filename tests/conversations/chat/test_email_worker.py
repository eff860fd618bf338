"""The e-mail fallback end to end: a real Celery worker takes the intent from Redis and mails through
Django's file backend (the embedded default), exactly once for a batch of replies."""

import email
import email.policy
import uuid
from pathlib import Path

import pytest
from django.db import transaction

from conversations.chat import identity
from conversations.chat.email_fallback import EMAIL_FALLBACK
from conversations.models import OutboxItem
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory
from tests.helpers import message_create
from tests.live import CeleryWorker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _mails_in(mail_dir: Path) -> list:
    separator = b"\n" + b"-" * 79 + b"\n"
    mails = []
    for path in mail_dir.glob("*"):
        for chunk in path.read_bytes().split(separator):
            if chunk.strip():
                mails.append(email.message_from_bytes(chunk.lstrip(), policy=email.policy.default))
    return mails


@pytest.fixture
def real_worker(settings):
    from helpdesk.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    worker = CeleryWorker()
    yield worker
    worker.stop()


def test_the_worker_mails_unseen_replies_once_with_a_working_reply_address(real_worker, settings):
    settings.EMAIL_FALLBACK_MINUTES = 0
    mail_dir = Path(settings.VAR_DIR) / "mail"
    address = f"ada-{uuid.uuid4().hex[:12]}@example.com"
    conversation = ConversationFactory(inbox=InboxFactory(kind="webchat"), customer=CustomerFactory(email=address))
    message_create(conversation=conversation, sender="customer", body="Hello?", client_id="c-1")
    agent = AgentFactory()
    # With no delay configured, replies coalesce when they are written before the task runs.
    with transaction.atomic():
        message_create(conversation=conversation, sender="agent", author=agent, body="First part of the answer")
        message_create(conversation=conversation, sender="agent", author=agent, body="Second part")

    item = OutboxItem.objects.get(kind=EMAIL_FALLBACK, conversation=conversation)
    wait_for(
        lambda: OutboxItem.objects.get(pk=item.pk).status == "done",
        timeout=30,
        message=f"the worker to send the e-mail:\n{real_worker.output()[-2000:]}",
    )
    # The file backend may append to a file another test's mail went into: find ours by its recipient.
    written = [m for m in _mails_in(mail_dir) if m["To"] == address]
    assert len(written) == 1
    parsed = written[0]
    assert identity.conversation_id_from_reply_address(parsed["Reply-To"]) == conversation.pk
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert "First part of the answer" in text and "Second part" in text
    assert settings.SITE_URL in text
