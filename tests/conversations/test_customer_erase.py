"""Erasure on request: personal data and what the customer wrote go; counts and timings stay."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conversations.chat import identity
from conversations.models import Conversation, Event, Message
from customers.models import ChannelIdentity, ContactPoint, Customer, CustomerNote
from customers.profiles.services.erase import ERASED_BODY, customer_erase
from tests.factories import ChannelIdentityFactory, ContactPointFactory, ConversationFactory, CustomerFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(agent):
    customer = CustomerFactory(
        name="Mia Müller", email="mia@example.com", company="Acme", custom_attributes={"plan": "pro"}
    )
    ContactPointFactory(customer=customer, value="mia@example.com")
    ChannelIdentityFactory(customer=customer, kind="whatsapp", address="+4930123")
    CustomerNote.objects.create(customer=customer, body="Lives at Hauptstr. 1")
    conversation = ConversationFactory(customer=customer, context={"page_url": "https://shop.example/orders/1042"})
    message_create(
        conversation=conversation,
        sender="customer",
        body="My card is 4111 1111",
        meta={"page_url": "https://x.example"},
    )
    message_create(conversation=conversation, sender="agent", author=agent, body="Thanks, checking.")
    return customer, conversation


def test_it_anonymises_the_profile_and_keeps_aggregate_figures(history):
    customer, conversation = history
    conversation.refresh_from_db()
    first_response = conversation.first_response_seconds
    summary = customer_erase(customer=customer)

    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert (customer.name, customer.email, customer.company, customer.custom_attributes) == ("", "", "", {})
    assert not ContactPoint.objects.filter(customer=customer).exists()
    assert not ChannelIdentity.objects.filter(customer=customer).exists()
    assert not CustomerNote.objects.filter(customer=customer).exists()
    bodies = dict(Message.objects.filter(conversation=conversation).values_list("sender", "body"))
    assert bodies == {"customer": ERASED_BODY, "agent": "Thanks, checking."}
    assert Message.objects.get(conversation=conversation, sender="customer").meta == {}
    conversation.refresh_from_db()
    assert conversation.context == {}
    assert conversation.first_response_seconds == first_response
    assert Message.objects.filter(conversation=conversation).count() == 2
    logged = [e.payload["message"]["body"] for e in Event.objects.filter(type="message.created")]
    assert "My card is 4111 1111" not in logged
    assert summary["messages_erased"] == 1
    assert str(customer) == f"Erased customer #{customer.id}"


def test_it_ends_the_customers_chat_sessions(history):
    from datetime import timedelta

    from django.utils import timezone

    from conversations.models import Visitor

    customer, conversation = history
    Visitor.objects.create(
        key="v" * 40, inbox=conversation.inbox, customer=customer, expires_at=timezone.now() + timedelta(days=1)
    )
    assert customer_erase(customer=customer)["chat_sessions"] == 1
    assert not Visitor.objects.filter(customer=customer).exists()


def test_erasing_twice_changes_nothing_more(history):
    customer, _ = history
    customer_erase(customer=customer)
    assert customer_erase(customer=customer)["messages_erased"] == 0


def test_the_command_asks_unless_told_yes_and_explains_unknown_ids(history, monkeypatch):
    customer, _ = history
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was erased"):
        call_command("erase_customer", str(customer.id), stdout=io.StringIO())
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    out = io.StringIO()
    call_command("erase_customer", str(customer.id), "--yes", stdout=out)
    assert "1 messages in 1 conversations" in out.getvalue()
    with pytest.raises(CommandError, match="no customer #999999"):
        call_command("erase_customer", "999999", "--yes", stdout=io.StringIO())


def test_the_data_export_holds_everything_on_the_customer(history, tmp_path):
    customer, conversation = history
    path = tmp_path / "mia.json"
    call_command("export_customer_data", str(customer.id), "--output", str(path), stderr=io.StringIO())
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["customer"]["name"] == "Mia Müller"
    assert data["contacts"] == [{"kind": "email", "value": "mia@example.com", "verified": False}]
    assert data["identities"][0]["address"] == "+4930123"
    assert data["notes"][0]["body"] == "Lives at Hauptstr. 1"
    [exported] = data["conversations"]
    assert exported["id"] == conversation.id
    assert [m["body"] for m in exported["messages"]] == ["My card is 4111 1111", "Thanks, checking."]
    assert Conversation.objects.filter(customer=customer).count() == len(data["conversations"])


def test_erasure_revokes_the_resume_links_already_e_mailed(client, history):
    customer, conversation = history
    conversation.inbox.kind = "webchat"
    conversation.inbox.save()
    token = identity.resume_token_make(conversation=conversation)
    assert identity.resume_token_read(inbox=conversation.inbox, token=token).pk == conversation.pk

    customer_erase(customer=customer)

    with pytest.raises(identity.IdentityError):
        identity.resume_token_read(inbox=conversation.inbox, token=token)
    response = client.get(f"/chat/{conversation.inbox.slug}/resume/{token}/")
    assert response.status_code == 401
    assert identity.cookie_name(conversation.inbox) not in response.cookies
