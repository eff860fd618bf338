"""Profile writes: typed custom attributes with clear errors, several e-mails and phones, statuses."""

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import ContactPoint, CustomerActivity, CustomerStatus
from tests.factories import CustomAttributeDefinitionFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def definitions():
    return {
        "seats": CustomAttributeDefinitionFactory(key="seats", label="Seats", type="number"),
        "renewal": CustomAttributeDefinitionFactory(key="renewal", label="Renewal date", type="date"),
        "trial": CustomAttributeDefinitionFactory(key="trial", label="On trial", type="boolean"),
        "plan": CustomAttributeDefinitionFactory(key="plan", label="Plan", type="choice", choices=["free", "pro"]),
        "note": CustomAttributeDefinitionFactory(key="note", label="Note", type="text"),
    }


def test_it_stores_each_attribute_type_in_its_typed_form(definitions):
    customer = CustomerFactory()
    services.customer_update(
        customer=customer,
        data={"custom_attributes": {"seats": "20", "renewal": "2027-03-01", "trial": "yes", "plan": "pro", "note": 7}},
    )
    customer.refresh_from_db()
    assert customer.custom_attributes == {
        "seats": 20,
        "renewal": "2027-03-01",
        "trial": True,
        "plan": "pro",
        "note": "7",
    }


def test_it_reports_every_bad_attribute_by_key_with_what_is_expected(definitions):
    customer = CustomerFactory(custom_attributes={"plan": "free"})
    with pytest.raises(ValidationError) as caught:
        services.customer_update(
            customer=customer,
            data={
                "custom_attributes": {
                    "seats": "many",
                    "renewal": "01/03/2027",
                    "trial": "maybe",
                    "plan": "gold",
                    "colour": "red",
                }
            },
        )
    errors = caught.value.message_dict
    assert "Seats must be a number" in errors["custom_attributes.seats"][0]
    assert "YYYY-MM-DD" in errors["custom_attributes.renewal"][0]
    assert "yes or no" in errors["custom_attributes.trial"][0]
    assert "one of free, pro" in errors["custom_attributes.plan"][0]
    assert "no custom attribute called “colour”" in errors["custom_attributes.colour"][0]
    customer.refresh_from_db()
    assert customer.custom_attributes == {"plan": "free"}, "nothing is half-written"


def test_null_removes_an_attribute_and_others_are_kept(definitions):
    customer = CustomerFactory(custom_attributes={"plan": "free", "seats": 3})
    services.customer_update(customer=customer, data={"custom_attributes": {"plan": None}})
    customer.refresh_from_db()
    assert customer.custom_attributes == {"seats": 3}


def test_a_number_attribute_refuses_a_boolean(definitions):
    with pytest.raises(ValidationError, match="not yes/no"):
        services.customer_update(customer=CustomerFactory(), data={"custom_attributes": {"seats": True}})


def test_it_keeps_several_emails_and_phones_with_the_first_primary():
    customer = CustomerFactory(email="old@example.com")
    services.customer_update(
        customer=customer,
        data={
            "emails": ["New@Example.com ", "second@example.com"],
            "phones": ["+49 (30) 1234-567", "0044 20 7946 0000"],
        },
    )
    customer.refresh_from_db()
    assert customer.email == "new@example.com"
    assert customer.phone == "+49301234567"
    assert customer.emails == ["new@example.com", "second@example.com"]
    assert customer.phones == ["+49301234567", "+442079460000"]
    assert not ContactPoint.objects.filter(customer=customer, value="old@example.com").exists()


def test_it_rejects_bad_addresses_and_fields_all_at_once():
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as caught:
        services.customer_update(
            customer=customer,
            data={
                "emails": ["not-an-email"],
                "phones": ["call me"],
                "time_zone": "Mars/Base",
                "locale": "english!",
                "avatar_url": "javascript:alert(1)",
                "colour": "x",
            },
        )
    errors = caught.value.message_dict
    assert set(errors) == {"emails", "phones", "time_zone", "locale", "avatar_url", "non_field_errors"}
    assert "not an e-mail address" in errors["emails"][0]
    assert "IANA time zone" in errors["time_zone"][0]


def test_the_status_must_be_one_supervisors_defined_and_changes_are_recorded(agent):
    CustomerStatus.objects.all().delete()  # the supervisors' list replaces the seeded defaults
    CustomerStatus.objects.create(slug="partner", name="Partner")
    customer = CustomerFactory(status="lead")
    with pytest.raises(ValidationError, match="choose one of partner"):
        services.customer_update(customer=customer, data={"status": "vip"})
    services.customer_update(customer=customer, data={"status": "partner"}, actor=agent)
    activity = CustomerActivity.objects.get(customer=customer)
    assert activity.data == {"from": "lead", "to": "partner"}
    assert activity.actor == agent


def test_the_default_statuses_apply_before_any_are_defined():
    CustomerStatus.objects.all().delete()
    customer = services.customer_update(
        customer=CustomerFactory(), data={"status": "vip", "labels": ["Beta", "beta", " VIP "]}
    )
    assert customer.status == "vip"
    assert customer.labels == ["Beta", "VIP"]


def test_an_erased_profile_cannot_be_edited():
    from django.utils import timezone

    customer = CustomerFactory(erased_at=timezone.now())
    with pytest.raises(ValidationError, match="erased"):
        services.customer_update(customer=customer, data={"name": "Back"})


def test_a_verified_contact_becomes_primary_when_there_is_none():
    customer = CustomerFactory(email="")
    contact = services.contact_add(customer=customer, kind="email", value="Me@Example.com", verified=True)
    customer.refresh_from_db()
    assert contact.verified
    assert customer.email == "me@example.com"
