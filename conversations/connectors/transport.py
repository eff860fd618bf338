"""The one door to the outside world for connectors: JSON over HTTPS with timeouts and honest errors.

Base URLs come from settings, so tests point them at a local fake server speaking the real wire format.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from conversations.services.outbox import RetryLater

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


class DeliveryError(Exception):
    """The far side refused the message for good (bad token, unknown recipient); retrying will not help."""


@dataclass
class HttpResponse:
    status: int
    body: bytes
    headers: dict

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise DeliveryError(f"answer was not JSON: {self.body[:200]!r}") from None


def _retry_after(headers) -> float:
    value = headers.get("Retry-After") if headers else None
    try:
        return max(1.0, min(float(value), 3600.0))
    except (TypeError, ValueError):
        return 30.0


def post_json(
    url: str, payload: dict, *, headers: dict | None = None, timeout: float = DEFAULT_TIMEOUT
) -> HttpResponse:
    """POST JSON. 2xx returns; 429 and 5xx raise RetryLater (honouring Retry-After); other 4xx raise
    DeliveryError; a timeout or refused connection raises RetryLater."""
    return post_bytes(url, json.dumps(payload).encode(), headers=headers, timeout=timeout)


def post_bytes(url: str, data: bytes, *, headers: dict | None = None, timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - scheme checked above
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", "helpdesk/1.0")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpResponse(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code == 429 or exc.code >= 500:
            raise RetryLater(f"{url} answered {exc.code}", delay=_retry_after(exc.headers)) from None
        raise DeliveryError(f"{url} answered {exc.code}: {body[:300]!r}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise RetryLater(f"{url} unreachable: {exc}", delay=30) from None
