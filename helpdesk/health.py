"""Health, JSON, 200 or 503 naming what failed.

``/healthz`` is for a load balancer: can this web process serve (database, channel layer, broker)?
``/healthz/deep`` is for monitoring: it adds the Celery worker (a ping) and beat (its heartbeat), which a
web process does not need to serve but without which away replies, e-mails and sweeps stop.
"""

import asyncio
import time
import weakref
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from helpdesk.celery import BEAT_HEARTBEAT_KEY
from helpdesk.celery import app as celery_app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


# One reply channel per event loop, made on first use and reused: a new channel per call would leave a
# Redis subscription behind every time (the pub/sub layer unsubscribes only a channel whose reader is
# cancelled).
_health_channels: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_channel_layer() -> None:
    layer = get_channel_layer()

    async def roundtrip():
        loop = asyncio.get_running_loop()
        channel = _health_channels.get(loop)
        if channel is None:
            channel = _health_channels[loop] = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        try:
            message = await asyncio.wait_for(layer.receive(channel), timeout=3)
        except TimeoutError:
            del _health_channels[loop]  # a cancelled read unsubscribed it: make a new one next time
            raise
        if message.get("type") != "health.ping":
            raise RuntimeError("channel layer returned an unexpected message")

    async_to_sync(roundtrip)()


def check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        # The broker is Redis: its channel has a client; kombu's stubs know only the abstract channel.
        conn.default_channel.client.ping()  # type: ignore[attr-defined]


def check_worker() -> None:
    # The first worker to answer is enough; the broker's pidbox leaves nothing behind once answered.
    replies = celery_app.control.ping(timeout=2.0, limit=1)
    if not replies:
        raise RuntimeError("no Celery worker answered a ping within 2 s")


def check_beat() -> None:
    beat = cache.get(BEAT_HEARTBEAT_KEY)
    limit = 2 * settings.HEALTH_BEAT_SECONDS
    if beat is None:
        raise RuntimeError("beat has never written its heartbeat")
    age = time.time() - float(beat)
    if age > limit:
        raise RuntimeError(f"beat's last heartbeat is {age:.0f} s old (more than {limit} s)")


Check = Callable[[], None]
CHECKS: dict[str, Check] = {"database": check_database, "channel_layer": check_channel_layer, "broker": check_broker}
DEEP_CHECKS: dict[str, Check] = {**CHECKS, "worker": check_worker, "beat": check_beat}


def _report(checks: dict[str, Check]) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure, of any kind, is what this endpoint reports
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    failed = [name for name, result in results.items() if not result["ok"]]
    body = {
        "status": "fail" if failed else "ok",
        "failed": failed,
        "checks": results,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return _report(CHECKS)


@never_cache
@require_GET
def healthz_deep(request: HttpRequest) -> JsonResponse:
    return _report(DEEP_CHECKS)
