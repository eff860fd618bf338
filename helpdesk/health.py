"""/healthz: does each thing the system needs answer right now? JSON, 200 or 503 naming what failed."""

import asyncio
import time
import weakref

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
        conn.default_channel.client.ping()


CHECKS = {"database": check_database, "channel_layer": check_channel_layer, "broker": check_broker}


@never_cache
@require_GET
def healthz(request):
    results = {}
    for name, check in CHECKS.items():
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
