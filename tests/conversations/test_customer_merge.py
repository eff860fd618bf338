"""Merging two profiles of one person: everything moves in one transaction, with an audit entry."""

import pytest

from conversations.models import Conversation, Event
from customers.models import ChannelIdentity, ContactPoint, Customer, CustomerMerge, CustomerNote
from customers.profiles.services.merge import customer_merge, customer_merge_verified_duplicates
from helpdesk.errors import ApplicationError
from tests.factories import ChannelIdentityFactory, ContactPointFactory, ConversationFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_it_moves_conversations_identities_contacts_and_notes_and_records_what_moved(agent):
    target = CustomerFactory(name="Mia", company="", labels=["beta"], custom_attributes={"plan": "pro"})
    source = CustomerFactory(
        name="Mia M.", company="Acme", labels=["vip"], custom_attributes={"plan": "free", "seats": 3}
    )
    conversations = [ConversationFactory(customer=source) for _ in range(2)]
    identity = ChannelIdentityFactory(customer=source, kind="whatsapp", address="+4930123")
    ContactPointFactory(customer=source, value="mia@work.example")
    CustomerNote.objects.create(customer=source, body="Call after 5")

    audit = customer_merge(target=target, source=source, actor=agent)

    assert not Customer.objects.filter(pk=source.pk).exists()
    assert set(Conversation.objects.filter(customer=target).values_list("id", flat=True)) == {
        c.id for c in conversations
    }
    assert ChannelIdentity.objects.get(pk=identity.pk).customer_id == target.id
    assert ContactPoint.objects.filter(customer=target, value="mia@work.example").exists()
    assert CustomerNote.objects.get().customer_id == target.id
    target.refresh_from_db()
    assert target.name == "Mia", "the surviving profile's values win"
    assert target.company == "Acme", "its blanks are filled"
    assert target.labels == ["beta", "vip"]
    assert target.custom_attributes == {"plan": "pro", "seats": 3}
    assert audit.reason == CustomerMerge.Reason.AGENT
    assert audit.actor == agent
    assert audit.source_id == source.pk
    assert sorted(audit.moved["conversations"]) == sorted(c.id for c in conversations)
    assert audit.moved["identities"] == ["WhatsApp: +4930123"]
    assert audit.source_snapshot["company"] == "Acme"
    assert Event.objects.filter(type="conversation.updated", payload__change="customer").count() == 2


def test_a_shared_contact_is_kept_once_and_stays_verified():
    target, source = CustomerFactory(), CustomerFactory()
    ContactPointFactory(customer=target, value="same@example.com", verified=False)
    ContactPointFactory(customer=source, value="same@example.com", verified=True)
    customer_merge(target=target, source=source)
    contacts = ContactPoint.objects.filter(value="same@example.com")
    assert [(c.customer_id, c.verified) for c in contacts] == [(target.id, True)]


def test_it_refuses_to_merge_a_profile_into_itself_or_an_erased_one():
    from django.utils import timezone

    customer = CustomerFactory()
    with pytest.raises(ApplicationError, match="into itself"):
        customer_merge(target=customer, source=customer)
    erased = CustomerFactory(erased_at=timezone.now())
    with pytest.raises(ApplicationError, match="erased"):
        customer_merge(target=customer, source=erased)
    assert Customer.objects.filter(pk=erased.pk).exists()


def test_profiles_sharing_a_verified_email_merge_into_the_oldest():
    oldest, newer, stranger = CustomerFactory(), CustomerFactory(), CustomerFactory()
    ContactPointFactory(customer=oldest, value="one@example.com", verified=True)
    ContactPointFactory(customer=newer, value="one@example.com", verified=True)
    ContactPointFactory(customer=stranger, value="one@example.com", verified=False)
    ConversationFactory(customer=newer)
    audits = customer_merge_verified_duplicates()
    assert [(a.source_id, a.target_id) for a in audits] == [(newer.id, oldest.id)]
    assert audits[0].reason == CustomerMerge.Reason.VERIFIED_EMAIL
    assert Customer.objects.filter(pk=stranger.pk).exists(), "an unverified address proves nothing"
    assert customer_merge_verified_duplicates() == []


def test_an_agent_merges_through_the_api(api_client, agent):
    api_client.force_authenticate(agent)
    target, source = CustomerFactory(), CustomerFactory()
    response = api_client.post(f"/api/v1/customers/{target.id}/merge/", {"source_id": source.id}, format="json")
    assert response.status_code == 200
    assert CustomerMerge.objects.get().actor == agent
    again = api_client.post(f"/api/v1/customers/{target.id}/merge/", {"source_id": source.id}, format="json")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "not_found"


def test_a_whatsapp_number_matches_a_verified_phone_written_with_a_plus():
    from customers.profiles.selectors import customer_duplicate_list

    from_whatsapp = CustomerFactory(name="", email="")
    ChannelIdentityFactory(customer=from_whatsapp, kind="whatsapp", address="4915112345678", verified=True)
    ConversationFactory(customer=from_whatsapp)
    signed_up = CustomerFactory(name="Mia")
    ContactPointFactory(customer=signed_up, kind="phone", value="+4915112345678", verified=True)
    unverified = CustomerFactory()
    ContactPointFactory(customer=unverified, kind="phone", value="+4915112345678", verified=False)

    assert customer_duplicate_list(customer=signed_up) == [(from_whatsapp, CustomerMerge.Reason.VERIFIED_PHONE)]
    [audit] = customer_merge_verified_duplicates()
    assert (audit.target_id, audit.source_id) == (from_whatsapp.id, signed_up.id), "the oldest profile survives"
    assert audit.reason == CustomerMerge.Reason.VERIFIED_PHONE
    survivor = Customer.objects.get(pk=from_whatsapp.id)
    assert survivor.name == "Mia"
    assert ContactPoint.objects.filter(customer=survivor, value="+4915112345678", verified=True).exists()
    assert Customer.objects.filter(pk=unverified.pk).exists()


def test_the_merge_sweep_task_merges_what_matches(django_assert_max_num_queries):
    from customers.profiles.tasks import customer_merge_sweep

    first, second = CustomerFactory(), CustomerFactory()
    ContactPointFactory(customer=first, value="same@example.com", verified=True)
    ContactPointFactory(customer=second, value="Same@Example.com".lower(), verified=True)
    assert customer_merge_sweep.delay().get() == 1
    with django_assert_max_num_queries(6):
        assert customer_merge_sweep.delay().get() == 0


def test_chat_sessions_and_earlier_merge_audits_follow_the_person():
    from datetime import timedelta

    from django.utils import timezone

    from conversations.models import Visitor
    from tests.factories import InboxFactory

    target, source, older = CustomerFactory(), CustomerFactory(), CustomerFactory()
    earlier = customer_merge(target=source, source=older)
    session = Visitor.objects.create(
        key="k" * 40, inbox=InboxFactory(), customer=source, expires_at=timezone.now() + timedelta(days=1)
    )
    audit = customer_merge(target=target, source=source)
    assert Visitor.objects.get(pk=session.pk).customer_id == target.id, "the browser keeps its chat"
    assert audit.moved["other"] == {"conversations.Visitor": 1, "customers.CustomerMerge": 1}
    earlier.refresh_from_db()
    assert earlier.target_id == target.id
