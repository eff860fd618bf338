"""The one HTTP client for every outbound call: JSON over HTTP(S) with timeouts and typed answers and errors.

Every HTTP answer, whatever its status, comes back as a ``Response``; only a call that got no answer at all
raises (``Timeout``, ``Unreachable``, ``InvalidURL``). Callers decide what a status means to them, or call
``raise_for_status()``. Base URLs come from each caller's settings, so tests point them at a local fake
server speaking the real wire format.
"""

import http.client
import json as jsonlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "helpdesk/1.0"


class HttpError(Exception):
    """No usable answer from the far side."""


class InvalidURL(HttpError):
    """Only http:// and https:// URLs are called (never file:// or anything urllib would also open)."""


class Unreachable(HttpError):
    """No answer: refused, reset, DNS failure, a broken reply."""

    def __init__(self, message: str, *, reason: object = None):
        super().__init__(message)
        self.reason = reason if reason is not None else message


class Timeout(Unreachable):
    """No answer within the timeout."""

    def __init__(self, message: str, *, timeout: float):
        super().__init__(message, reason="timed out")
        self.timeout = timeout


class InvalidJSON(HttpError, ValueError):
    """The answer's body is not JSON."""


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON; an empty body is None."""
        if not self.body.strip():
            return None
        try:
            return jsonlib.loads(self.body)
        except ValueError:
            raise InvalidJSON(f"{self.url} answered something that is not JSON: {self.body[:200]!r}") from None

    @property
    def retry_after(self) -> float | None:
        """Seconds the far side asks us to wait (Retry-After as seconds or as an HTTP date), if it says."""
        value = (self.headers.get("retry-after") or "").strip()
        if not value:
            return None
        try:
            return float(value)
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
            return (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):  # unparseable, or a date without a zone
            return None

    def raise_for_status(self) -> "Response":
        if not self.ok:
            raise StatusError(self)
        return self


class StatusError(HttpError):
    """The far side answered, but not with 2xx: its status, body (raw and parsed) and Retry-After."""

    def __init__(self, response: Response):
        super().__init__(f"{response.url} answered {response.status}: {response.body[:300]!r}")
        self.response = response
        self.status = response.status
        self.body = response.body
        self.retry_after = response.retry_after

    @property
    def data(self) -> Any:
        """The error body parsed as JSON, or None when it is not JSON."""
        try:
            return self.response.json()
        except InvalidJSON:
            return None


def request(
    method: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    json: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Response:
    """Call ``url`` once. ``json`` is sent encoded (with its Content-Type), ``data`` as given."""
    if not url.startswith(("http://", "https://")):
        raise InvalidURL(f"not an http(s) URL: {url[:80]!r}")
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if json is not None:
        data = jsonlib.dumps(json).encode()
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    outgoing = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as answer:  # noqa: S310
            return Response(url, answer.status, _lower(answer.headers), answer.read())
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp else b""
        return Response(url, exc.code, _lower(exc.headers), body)
    except TimeoutError as exc:
        raise Timeout(f"{url} did not answer within {timeout:g} s", timeout=timeout) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise Timeout(f"{url} did not answer within {timeout:g} s", timeout=timeout) from exc
        raise Unreachable(f"{url} unreachable: {exc.reason}", reason=exc.reason) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(f"{url} unreachable: {exc}", reason=exc) from exc


class Client:
    """Calls relative to one base URL, with the caller's default headers and timeout."""

    def __init__(self, base_url: str = "", *, headers: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")) or not self.base_url:
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
        kwargs.setdefault("timeout", self.timeout)
        return request(method, self.url(path), headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in (headers or {}).items()}
