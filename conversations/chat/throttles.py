"""Fixed-window rate limits in the shared cache (Redis), so every daphne process counts together.

Each limit is counted per identity (a visitor key, an IP address), so one noisy visitor or address is
slowed down and nobody else is."""

import math
import time

from django.conf import settings
from django.core.cache import cache

from helpdesk.errors import ApplicationError

UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


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
    return parse_rate(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope])


def hit(scope: str, ident: str, *, now: float | None = None) -> int | None:
    """Count one attempt; return the seconds to wait if the limit is exceeded, else None."""
    return _hits([(scope, ident)], now=now)[0]


def _hits(limits: list[tuple[str, str]], *, now: float | None = None) -> list[int | None]:
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


def _redis_client():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def check(limits: list[tuple[str, str]], *, what: str) -> None:
    """Count against every (scope, ident) pair; raise RateLimited with the longest wait if any is over."""
    waits = [wait for wait in _hits(limits) if wait]
    if waits:
        retry_after = max(waits)
        raise RateLimited(f"Too many {what} in a short time. Try again in {retry_after} s.", retry_after=retry_after)


def client_ip(meta: dict) -> str:
    """The caller's address; behind a trusted proxy (BEHIND_PROXY) the first X-Forwarded-For entry."""
    if settings.SECURE_PROXY_SSL_HEADER and meta.get("HTTP_X_FORWARDED_FOR"):
        return meta["HTTP_X_FORWARDED_FOR"].split(",")[0].strip()
    return meta.get("REMOTE_ADDR") or "unknown"


def message_limits(*, visitor_key: str, ip: str) -> list[tuple[str, str]]:
    return [("visitor_message", visitor_key), ("ip_message", ip)]


def conversation_limits(*, visitor_key: str, ip: str) -> list[tuple[str, str]]:
    return [("visitor_conversation", visitor_key), ("ip_conversation", ip)]
