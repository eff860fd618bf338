"""Enrichment end to end: a profile gets an e-mail, a real Celery worker does the lookup against the local fake
provider, is told to wait by a 429, waits as told, and stores the result."""

import pytest

from customers import services
from customers.models import Customer, Enrichment
from tests.customers.fake_provider import PERSON, FakeProvider
from tests.live import CeleryWorker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_and_provider(settings):
    import json

    from helpdesk.celery import app

    fake = FakeProvider()
    fake.answer(
        (429, {"Retry-After": "1"}, b'{"error": {"type": "rate_limit"}}'), (200, {}, json.dumps(PERSON).encode())
    )
    settings.ENRICHMENT_BASE_URL = fake.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    worker = CeleryWorker(ENRICHMENT_BASE_URL=fake.url, ENRICHMENT_API_KEY="sk_worker")
    try:
        yield worker, fake
    finally:
        worker.stop()
        fake.close()


def test_the_worker_waits_out_a_429_and_stores_what_it_found(worker_and_provider):
    worker, fake = worker_and_provider
    customer = Customer.objects.create(name="Alex")
    services.customer_update(customer=customer, data={"emails": ["alex@example.com"]})

    def finished():
        item = Enrichment.objects.filter(customer=customer).first()
        return item if item and item.status == Enrichment.Status.DONE else None

    item = wait_for(finished, timeout=30, message=f"the worker to finish the lookup\n{worker.output()[-2000:]}")
    assert len(fake.requests) == 2, "asked once, told to wait, asked again"
    assert fake.requests[1]["authorization"] == "Bearer sk_worker"
    assert item.attempts == 0
    assert Customer.objects.get(pk=customer.pk).company == "Clearbit"
