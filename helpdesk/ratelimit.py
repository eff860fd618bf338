"""The one rate limiter: fixed-window counters in the shared cache (Redis), so every daphne process counts
together. Limits are named scopes in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, each counted per identity
(a visitor key, a client address), so one noisy caller is slowed down and nobody else is."""

import functools
import math
import re
import time
from typing import Any, cast

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import JsonResponse

from helpdesk.errors import ApplicationError, json_error

UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}

Limit = tuple[str, str]  # (scope, identity)


class RateLimited(ApplicationError):
    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, code="rate_limited", status_code=429)
        self.retry_after = retry_after


def parse_rate(rate: str) -> tuple[int, int]:
    """ "30/min" -> (30, 60); the same spelling as DRF's DEFAULT_THROTTLE_RATES."""
    count, _, period = rate.partition("/")
    period = period.strip().lower()
    digits = "".join(ch for ch in period if ch.isdigit())
    unit = period[len(digits) :] or "s"
    seconds = UNITS.get(unit, UNITS.get(unit[:1]))
    if seconds is None:
        raise ValueError(f"bad rate {rate!r}")
    return int(count), seconds * (int(digits) if digits else 1)


def rate_for(scope: str) -> tuple[int, int]:
    rates = cast(dict[str, str], settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    return parse_rate(rates[scope])


def hit(scope: str, ident: str, *, now: float | None = None) -> int | None:
    """Count one attempt; return the seconds to wait if the limit is exceeded, else None."""
    return hits([(scope, ident)], now=now)[0]


def hits(limits: list[Limit], *, now: float | None = None) -> list[int | None]:
    """Count one attempt against each limit; for each, the seconds to wait if it is exceeded, else None."""
    now = time.time() if now is None else now
    buckets = []
    for scope, ident in limits:
        limit, window = rate_for(scope)
        bucket = int(now // window)
        buckets.append((f"throttle:{scope}:{ident}:{bucket}", limit, window, bucket))
    counts = _incr_all([(key, window + 5) for key, _, window, _ in buckets])
    return [
        max(1, math.ceil((bucket + 1) * window - now)) if count > limit else None
        for count, (_, limit, window, bucket) in zip(counts, buckets, strict=True)
    ]


def check(limits: list[Limit], *, what: str) -> None:
    """Count against every (scope, ident) pair; raise RateLimited with the longest wait if any is over."""
    waits = [wait for wait in hits(limits) if wait]
    if waits:
        retry_after = max(waits)
        raise RateLimited(f"Too many {what} in a short time. Try again in {retry_after} s.", retry_after=retry_after)


def response(exc: RateLimited) -> JsonResponse:
    """The answer to a limited request: 429, the error body and Retry-After."""
    answer = json_error(exc.code, exc.message, exc.status_code, exc.fields)
    answer["Retry-After"] = str(exc.retry_after)
    return answer


def client_ip(meta: dict) -> str:
    """The caller's address; behind a trusted proxy (BEHIND_PROXY) the first X-Forwarded-For entry."""
    if settings.SECURE_PROXY_SSL_HEADER and meta.get("HTTP_X_FORWARDED_FOR"):
        return meta["HTTP_X_FORWARDED_FOR"].split(",")[0].strip()
    return meta.get("REMOTE_ADDR") or "unknown"


def _incr_all(keys: list[tuple[str, int]]) -> list[int]:
    """Increment each counter (created with its timeout), in one round trip on Redis: this runs for every
    message written, and each round trip is paid while the writer holds a worker thread."""
    client = _redis_client()
    if client is None:
        return [_incr(key, timeout) for key, timeout in keys]
    pipe = client.pipeline(transaction=False)
    for key, timeout in keys:
        full = cache.make_and_validate_key(key)
        pipe.incr(full)
        # The key names its window, so refreshing its expiry on each hit cannot stretch a window.
        pipe.expire(full, timeout)
    return [int(count) for count in pipe.execute()[::2]]


def _redis_client() -> redis.Redis | None:
    """A client for the cache's Redis (its write server), or None when the cache is not Redis."""
    if not isinstance(caches["default"], RedisCache):
        return None
    config = cast(dict[str, Any], settings.CACHES["default"])
    location = config["LOCATION"]
    servers = re.split("[;,]", location) if isinstance(location, str) else list(location)
    options = config.get("OPTIONS", {})

    return _client_for(servers[0], options.get("health_check_interval", 0))


@functools.cache
def _client_for(url: str, health_check_interval: int) -> redis.Redis:
    return redis.Redis.from_url(url, health_check_interval=health_check_interval)


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1
