"""/healthz/deep tells the truth about the worker and beat, and leaves nothing behind in Redis."""

import json
import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings

from tests.live import CeleryBeat, CeleryWorker, LiveServer, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BEAT_SECONDS = 2


def _deep(server) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{server.url}/healthz/deep", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_deep_health_names_a_dead_worker_and_a_stopped_beat():
    env = {"HEALTH_BEAT_SECONDS": BEAT_SECONDS}
    client = redis.Redis.from_url(settings.REDIS_URL)
    processes = []
    try:
        server = LiveServer(require_healthy=True, **env)
        worker = CeleryWorker(**env)
        beat = CeleryBeat(**env)
        processes += [server, worker, beat]

        wait_for(lambda: _deep(server)[0] == 200, timeout=30, message="deep health to be green")
        keys, channels = client.dbsize(), set(client.pubsub_channels())
        for _ in range(10):
            status, body = _deep(server)
            assert status == 200, body
        assert set(body["checks"]) == {"database", "channel_layer", "broker", "worker", "beat"}
        # Ten pings and ten heartbeat reads: no key and no subscription left behind (the heartbeat key and
        # the web process's one reply channel existed already).
        assert client.dbsize() <= keys
        assert set(client.pubsub_channels()) <= channels

        worker.stop()
        status, body = _deep(server)
        assert status == 503
        assert body["failed"] == ["worker"]

        beat.stop()
        wait_for(lambda: "beat" in _deep(server)[1]["failed"], timeout=4 * BEAT_SECONDS + 10, message="beat stale")
        status, body = _deep(server)
        assert status == 503 and body["failed"] == ["worker", "beat"]
        assert "heartbeat" in body["checks"]["beat"]["error"]
        # The load balancer's endpoint still answers 200: this web process can serve.
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        for process in reversed(processes):
            process.stop()
