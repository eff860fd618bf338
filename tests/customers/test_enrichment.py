"""Enrichment against a local fake provider over real HTTP: found, unknown, rate limited, server errors,
timeouts and malformed answers, retries with backoff, caching by e-mail and the sweep."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from customers import services
from customers.models import Customer, CustomerActivity, Enrichment
from tests.customers.fake_provider import PERSON, FakeProvider
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.ENRICHMENT_BASE_URL = fake.url
    settings.ENRICHMENT_API_KEY = "sk_test_key"
    settings.ENRICHMENT_TIMEOUT = 1.0
    settings.ENRICHMENT_MAX_ATTEMPTS = 3
    yield fake
    fake.close()


def _give_email(customer, email="alex@example.com", captured=None):
    return services.customer_update(customer=customer, data={"emails": [email]})


def test_it_looks_up_a_new_email_after_commit_and_fills_only_empty_fields(provider, django_capture_on_commit_callbacks):
    customer = CustomerFactory(name="Alex (from chat)", email="", company="", location="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _give_email(customer)
    assert callbacks, "the lookup is enqueued on commit"
    item = Enrichment.objects.get(customer=customer)
    assert item.status == Enrichment.Status.DONE
    assert item.provider == "clearbit"
    assert item.completed_at is not None
    assert item.data["profile"]["company"] == "Clearbit"
    customer.refresh_from_db()
    assert customer.company == "Clearbit"
    assert customer.location == "San Francisco, CA, US"
    assert customer.name == "Alex (from chat)", "what agents entered is never overwritten"
    request = provider.requests[0]
    assert request["path"] == "/v2/combined/find"
    assert request["query"]["email"] == ["alex@example.com"]
    assert request["authorization"] == "Bearer sk_test_key"
    assert CustomerActivity.objects.filter(customer=customer, kind="enriched").exists()


def test_it_records_an_unknown_person_without_touching_the_profile(provider, django_capture_on_commit_callbacks):
    provider.answer(
        (404, {}, json.dumps({"error": {"type": "unknown_record", "message": "Unknown email address"}}).encode())
    )
    customer = CustomerFactory(company="")
    with django_capture_on_commit_callbacks(execute=True):
        _give_email(customer)
    item = Enrichment.objects.get(customer=customer)
    assert item.status == Enrichment.Status.NOT_FOUND
    customer.refresh_from_db()
    assert customer.company == ""


def test_it_honours_retry_after_on_429_without_counting_an_attempt(provider, django_capture_on_commit_callbacks):
    provider.answer((429, {"Retry-After": "120"}, b'{"error": {"type": "rate_limit"}}'))
    customer = CustomerFactory()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _give_email(customer)
    item = Enrichment.objects.get(customer=customer)
    assert item.status == Enrichment.Status.PENDING
    assert item.attempts == 0
    assert before + timedelta(seconds=119) <= item.run_after <= timezone.now() + timedelta(seconds=121)
    assert "Rate limited" in item.last_error
    assert services.enrichment_process(enrichment_id=item.id) == "not-due"
    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    "answer, error",
    [
        ((500, {}, b"oops"), "HTTP 500"),
        ((200, {}, b"<html>not json</html>"), "not JSON"),
        ((200, {}, b'{"unexpected": true}'), "without a person or company"),
        ((200, {}, json.dumps(PERSON).encode(), 2.5), "did not answer within"),
    ],
    ids=["server-error", "malformed-json", "wrong-shape", "timeout"],
)
def test_it_retries_a_failed_lookup_with_backoff_and_shows_the_error(provider, answer, error):
    provider.answer(answer)
    customer = CustomerFactory(company="Kept Ltd")
    item = Enrichment.objects.create(
        customer=customer, email="alex@example.com", provider="clearbit", run_after=timezone.now()
    )
    assert services.enrichment_process(enrichment_id=item.id) == "retry"
    item.refresh_from_db()
    assert item.status == Enrichment.Status.PENDING
    assert item.attempts == 1
    assert error in item.last_error
    first_wait = item.run_after - timezone.now()
    assert first_wait > timedelta(seconds=20)

    Enrichment.objects.filter(pk=item.pk).update(run_after=timezone.now())
    assert services.enrichment_process(enrichment_id=item.id) == "retry"
    item.refresh_from_db()
    assert item.run_after - timezone.now() > first_wait, "the wait grows"

    Enrichment.objects.filter(pk=item.pk).update(run_after=timezone.now())
    assert services.enrichment_process(enrichment_id=item.id) == "failed"
    item.refresh_from_db()
    assert item.status == Enrichment.Status.FAILED
    assert error in item.last_error
    assert Customer.objects.get(pk=customer.pk).company == "Kept Ltd", "nothing on the profile is lost"


def test_it_gives_up_at_once_when_the_key_is_refused(provider):
    provider.answer((401, {}, b'{"error": {"type": "auth", "message": "Invalid API key"}}'))
    item = Enrichment.objects.create(
        customer=CustomerFactory(), email="a@example.com", provider="clearbit", run_after=timezone.now()
    )
    assert services.enrichment_process(enrichment_id=item.id) == "failed"
    item.refresh_from_db()
    assert "Invalid API key" in item.last_error


def test_it_answers_the_same_email_from_the_cache(provider, django_capture_on_commit_callbacks):
    first, second = CustomerFactory(company=""), CustomerFactory(company="")
    with django_capture_on_commit_callbacks(execute=True):
        _give_email(first)
    with django_capture_on_commit_callbacks(execute=True):
        _give_email(second)
    assert len(provider.requests) == 1
    cached = Enrichment.objects.get(customer=second)
    assert cached.status == Enrichment.Status.DONE
    assert cached.cached_from == Enrichment.objects.get(customer=first)
    assert Customer.objects.get(pk=second.pk).company == "Clearbit"


def test_a_finished_lookup_is_not_repeated(provider, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _give_email(customer)
    item = Enrichment.objects.get(customer=customer)
    assert services.enrichment_process(enrichment_id=item.id) == Enrichment.Status.DONE
    assert len(provider.requests) == 1


def test_the_sweep_hands_out_lost_lookups_and_takes_back_dead_ones(provider):
    customer = CustomerFactory(email="")
    long_ago = timezone.now() - timedelta(minutes=10)
    lost = Enrichment.objects.create(
        customer=customer, email="lost@example.com", provider="clearbit", run_after=long_ago
    )
    dead = Enrichment.objects.create(
        customer=customer,
        email="dead@example.com",
        provider="clearbit",
        run_after=long_ago,
        status=Enrichment.Status.RUNNING,
        lease_until=long_ago,
    )
    assert services.enrichment_sweep() == 2
    assert Enrichment.objects.get(pk=lost.pk).status == Enrichment.Status.DONE
    assert Enrichment.objects.get(pk=dead.pk).status == Enrichment.Status.DONE


def test_the_sweep_requests_lookups_for_emails_written_outside_the_services(
    provider, django_capture_on_commit_callbacks
):
    customer = Customer.objects.create(email="direct@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.enrichment_sweep()
    assert Enrichment.objects.get(customer=customer).email == "direct@example.com"


def test_nothing_is_requested_when_enrichment_is_not_configured(settings, django_capture_on_commit_callbacks):
    settings.ENRICHMENT_BASE_URL = ""
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _give_email(customer)
    assert not Enrichment.objects.exists()
