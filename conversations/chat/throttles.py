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
    limit, window = rate_for(scope)
    now = time.time() if now is None else now
    bucket = int(now // window)
    key = f"throttle:{scope}:{ident}:{bucket}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return max(1, math.ceil((bucket + 1) * window - now))
    return None


def check(limits: list[tuple[str, str]], *, what: str) -> None:
    """Count against every (scope, ident) pair; raise RateLimited with the longest wait if any is over."""
    waits = [wait for scope, ident in limits if (wait := hit(scope, ident))]
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
