"""/healthz on a real daphne leaves nothing behind in Redis, however often a load balancer calls it."""

import urllib.request

import pytest
import redis
from django.conf import settings

from tests.live import LiveServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _channels(client) -> set[bytes]:
    return set(client.pubsub_channels())


def test_repeated_health_checks_hold_one_subscription_at_most():
    client = redis.Redis.from_url(settings.REDIS_URL)
    before = _channels(client)
    server = LiveServer()
    try:
        for _ in range(30):
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
                assert response.status == 200
        during = _channels(client) - before
    finally:
        server.stop()
    # Before the fix every call subscribed a new channel (30 calls, 30 channels); now the daphne holds one.
    assert len(during) <= 1
