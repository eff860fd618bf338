import base64
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core import mail
from django.utils import timezone

from conversations.chat import identity
from conversations.chat.email_fallback import EMAIL_FALLBACK
from conversations.chat.mail import strip_quoted
from conversations.models import Conversation, Message, OutboxItem
from conversations.services.messages import conversation_mark_read
from conversations.tasks import outbox_run
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(inbox):
    conversation = ConversationFactory(inbox=inbox, customer=CustomerFactory(email="ada@example.com", name="Ada"))
    message_create(conversation=conversation, sender="customer", body="Where is my order?", client_id="c-1")
    return conversation


def _reply(conversation, body):
    return message_create(conversation=conversation, sender="agent", author=AgentFactory(), body=body)[0]


def _run_due(now=None):
    """What the worker does when the fallback's time comes: run every pending e-mail intent."""
    items = OutboxItem.objects.filter(kind=EMAIL_FALLBACK, status="pending")
    OutboxItem.objects.filter(pk__in=items).update(run_after=timezone.now() - timedelta(seconds=1))
    return [outbox_run(pk) for pk in items.values_list("pk", flat=True)]


def test_several_unseen_replies_make_one_email_with_all_of_them(conversation, settings):
    settings.EMAIL_FALLBACK_MINUTES = 2
    before = timezone.now()
    _reply(conversation, "We are looking into it.")
    _reply(conversation, "It ships <b>tomorrow</b>.")
    items = list(OutboxItem.objects.filter(kind=EMAIL_FALLBACK))
    assert len(items) == 1
    assert items[0].run_after >= before + timedelta(minutes=2)
    assert mail.outbox == []  # not before N minutes
    assert _run_due() == ["done"]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@example.com"]
    assert "We are looking into it." in sent.body and "It ships <b>tomorrow</b>." in sent.body
    html = sent.alternatives[0][0]
    assert "&lt;b&gt;tomorrow&lt;/b&gt;" in html and "<b>tomorrow</b>" not in html
    reply_to = sent.reply_to[0]
    assert identity.conversation_id_from_reply_address(reply_to) == conversation.pk
    resume = next(line for line in sent.body.splitlines() if "/resume/" in line).split()[-1]
    token = resume.rstrip("/").rsplit("/", 1)[-1]
    assert identity.resume_token_read(inbox=conversation.inbox, token=token).pk == conversation.pk


def test_no_email_when_the_customer_saw_the_reply_in_time(conversation):
    reply = _reply(conversation, "Answer")
    from conversations.chat.services import chat_mark_read

    chat_mark_read(conversation=conversation, seq=reply.seq)
    assert OutboxItem.objects.get(kind=EMAIL_FALLBACK).status == "cancelled"
    _run_due()
    assert mail.outbox == []


def test_the_email_is_skipped_if_seen_meanwhile_even_without_a_cancel(conversation):
    reply = _reply(conversation, "Answer")
    conversation_mark_read(conversation=conversation, seq=reply.seq, by_customer=True)
    assert _run_due() == ["done"]
    assert mail.outbox == []


def test_a_new_batch_after_the_customer_read_gets_its_own_email(conversation):
    first = _reply(conversation, "First answer")
    _run_due()
    conversation_mark_read(conversation=conversation, seq=first.seq, by_customer=True)
    _reply(conversation, "Second answer")
    _run_due()
    assert len(mail.outbox) == 2
    assert "Second answer" in mail.outbox[1].body and "First answer" not in mail.outbox[1].body


def test_a_reply_after_an_unread_email_is_mailed_too_and_nothing_twice(conversation):
    _reply(conversation, "First answer")
    assert _run_due() == ["done"]
    # The customer has not read the first e-mail (their read position has not moved): a later reply
    # still reaches them, alone, in an e-mail of its own.
    _reply(conversation, "Second answer")
    _reply(conversation, "Third answer")
    assert _run_due() == ["done"]
    assert len(mail.outbox) == 2
    second = mail.outbox[1].body
    assert "Second answer" in second and "Third answer" in second and "First answer" not in second
    assert _run_due() == []
    assert len(mail.outbox) == 2


def test_private_notes_and_customers_without_email_send_nothing(inbox):
    nameless = ConversationFactory(inbox=inbox, customer=CustomerFactory(email=""))
    _reply(nameless, "Hello?")
    conversation = ConversationFactory(inbox=inbox, customer=CustomerFactory(email="x@example.com"))
    message_create(conversation=conversation, sender="agent", author=AgentFactory(), body="note", is_private=True)
    assert not OutboxItem.objects.filter(kind=EMAIL_FALLBACK).exists()


def test_a_failing_mail_backend_is_retried_by_the_outbox(conversation, settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.conversations.chat.test_mail.FailingBackend"
    _reply(conversation, "Answer")
    # Tasks run inline here, so the retry's enqueue is kept instead of run at once (it would not be due).
    queued = []
    monkeypatch.setattr(
        "conversations.services.outbox._enqueue", lambda item_id, run_after=None: queued.append(run_after)
    )
    assert _run_due() == ["retry"]
    assert len(queued) == 1 and queued[0] > timezone.now()
    item = OutboxItem.objects.get(kind=EMAIL_FALLBACK)
    assert item.status == "pending" and item.attempts == 1 and "SMTP down" in item.last_error


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("SMTP down")


# --- Inbound ---------------------------------------------------------------------------------------


def _raw_reply(conversation, text, *, message_id="<m1@mail.example.com>", html=None) -> bytes:
    message = EmailMessage()
    message["From"] = "Ada <ada@example.com>"
    message["To"] = identity.reply_address(conversation=conversation)
    message["Subject"] = "Re: New reply"
    message["Message-ID"] = message_id
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


@pytest.fixture
def gateway(client, settings):
    settings.INBOUND_MAIL_SECRET = "s3cret"

    def post(raw: bytes, **headers):
        headers.setdefault("HTTP_AUTHORIZATION", "Bearer s3cret")
        return client.post("/hooks/mail/inbound/", raw, content_type="message/rfc822", **headers)

    return post


QUOTED = """Thanks, that helps!

On Tue, 3 Mar 2026 at 10:00, Support <support@example.com> wrote:
> We are looking into it.
> Regards
"""


def test_an_emailed_reply_lands_in_its_conversation_without_the_quote(conversation, gateway):
    response = gateway(_raw_reply(conversation, QUOTED))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    message = conversation.messages.order_by("-seq").first()
    assert message.sender == "customer"
    assert message.body == "Thanks, that helps!"
    assert message.meta["via"] == "email"


def test_the_same_email_posted_twice_is_stored_once(conversation, gateway):
    raw = _raw_reply(conversation, "Once only")
    gateway(raw)
    gateway(raw)
    assert conversation.messages.filter(body="Once only").count() == 1


def test_inbound_mail_needs_the_shared_secret(conversation, gateway):
    assert gateway(_raw_reply(conversation, "x"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    basic = "Basic " + base64.b64encode(b"gateway:s3cret").decode()
    assert gateway(_raw_reply(conversation, "via basic"), HTTP_AUTHORIZATION=basic).status_code == 200
    assert conversation.messages.filter(body="via basic").exists()


def test_inbound_mail_is_off_without_a_secret(conversation, client, settings):
    settings.INBOUND_MAIL_SECRET = ""
    response = client.post("/hooks/mail/inbound/", _raw_reply(conversation, "x"), content_type="message/rfc822")
    assert response.status_code == 503


def test_a_forged_reply_address_is_ignored(conversation, gateway):
    raw = _raw_reply(conversation, "sneaky").replace(b"reply+", b"reply+9", 1)
    assert gateway(raw).json()["status"] == "ignored"
    assert not Message.objects.filter(body="sneaky").exists()


def test_a_gateway_posting_a_form_field_works_too(conversation, client, settings):
    settings.INBOUND_MAIL_SECRET = "s3cret"
    raw = _raw_reply(conversation, "from a form", message_id="<m2@x>").decode()
    response = client.post("/hooks/mail/inbound/", {"email": raw}, HTTP_X_INBOUND_SECRET="s3cret")
    assert response.status_code == 200
    assert conversation.messages.filter(body="from a form").exists()


def test_an_html_only_reply_is_read_as_text(conversation, gateway):
    message = EmailMessage()
    message["From"] = "ada@example.com"
    message["To"] = identity.reply_address(conversation=conversation)
    message["Message-ID"] = "<h1@x>"
    message.set_content("<p>Hi <b>there</b></p><blockquote>old stuff</blockquote>", subtype="html")
    gateway(message.as_bytes())
    assert conversation.messages.order_by("-seq").first().body == "Hi there"


def test_an_emailed_reply_after_the_reopen_window_starts_a_new_conversation(conversation, gateway, settings):
    settings.REOPEN_WINDOW_DAYS = 1
    Conversation.objects.filter(pk=conversation.pk).update(
        status="resolved", resolved_at=timezone.now() - timedelta(days=3)
    )
    gateway(_raw_reply(conversation, "New question"))
    newest = Conversation.objects.filter(customer=conversation.customer).order_by("-id").first()
    assert newest.pk != conversation.pk
    assert newest.messages.filter(body="New question").exists()


def test_an_emailed_reply_within_the_window_reopens(conversation, gateway):
    Conversation.objects.filter(pk=conversation.pk).update(status="resolved", resolved_at=timezone.now())
    gateway(_raw_reply(conversation, "One more thing"))
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert conversation.messages.filter(body="One more thing").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes please\n\n-----Original Message-----\nFrom: x", "Yes please"),
        ("Ja\n\nAm 3. März 2026 um 10:00 schrieb Support <s@example.com>:\n> alt", "Ja"),
        ("Fine\n> quoted\nstill mine", "Fine\nstill mine"),
        ("Thanks\n-- \nAda Lovelace\nCEO", "Thanks"),
        ("Sure\n\nOn Tue, 3 Mar 2026 at 10:00, Support\n<support@example.com> wrote:\n> old", "Sure"),
    ],
)
def test_quoted_text_and_signatures_are_stripped(text, expected):
    assert strip_quoted(text) == expected
