"""The one place enrichment talks HTTP: a GET with a timeout, answering status, headers and body."""

import urllib.error
import urllib.request
from dataclasses import dataclass

from customers.enrichment import TemporaryFailure


@dataclass
class HttpResponse:
    status: int
    headers: dict
    body: bytes


def http_get(url: str, *, headers: dict, timeout: float) -> HttpResponse:
    if not url.startswith(("http://", "https://")):
        raise TemporaryFailure(f"The enrichment URL must start with http:// or https:// (got {url[:40]!r}).")
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers}, method="GET")  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpResponse(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp else b""
        return HttpResponse(exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, body)
    except TimeoutError as exc:
        raise TemporaryFailure(f"The enrichment service did not answer within {timeout:g} s.") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TemporaryFailure(f"The enrichment service did not answer within {timeout:g} s.") from exc
        raise TemporaryFailure(f"Could not reach the enrichment service: {exc.reason}.") from exc
    except OSError as exc:
        raise TemporaryFailure(f"Could not reach the enrichment service: {exc}.") from exc
