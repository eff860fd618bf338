"""Enrichment providers: look a person (and their company) up by e-mail at an outside service.

A provider turns one e-mail into a ``Found`` profile or raises one of the exceptions below; everything
about retries, caching and storing results lives in ``customers.services``, so a new provider is one small
module with a ``lookup`` method.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from helpdesk import http

# The profile fields a provider may fill; agent-entered values are never overwritten.
PROFILE_FIELDS = ("name", "company", "location", "avatar_url", "time_zone")


@dataclass
class Found:
    profile: dict = field(default_factory=dict)  # keys from PROFILE_FIELDS plus "title", "company_domain"
    raw: dict = field(default_factory=dict)


class LookupError_(Exception):  # noqa: N801 - the builtin LookupError means something else
    """The lookup failed; ``permanent`` failures (bad key, invalid e-mail) are not retried."""

    permanent = False


class NotFound(Exception):
    """The provider knows nobody by this e-mail."""


class RetryAfter(Exception):
    """Ask again later: rate limited (429) or the answer is still being prepared (202)."""

    def __init__(self, message: str, *, seconds: float):
        super().__init__(message)
        self.seconds = seconds


class TemporaryFailure(LookupError_):
    """Server error, timeout, unreadable answer: worth trying again with backoff."""


class PermanentFailure(LookupError_):
    """Rejected key or request: retrying will not help until someone changes the configuration."""

    permanent = True


class Provider:
    name = "base"

    def __init__(self, *, base_url: str, api_key: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def lookup(self, email: str) -> Found:
        raise NotImplementedError

    def get(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> http.Response:
        """GET from the provider. Every HTTP status is the provider's to read; no answer is a TemporaryFailure."""
        client = http.Client(self.base_url, timeout=self.timeout)
        try:
            return client.get(path, params=params, headers=headers)
        except http.Timeout as exc:
            raise TemporaryFailure(f"The enrichment service did not answer within {self.timeout:g} s.") from exc
        except http.Unreachable as exc:
            raise TemporaryFailure(f"Could not reach the enrichment service: {exc.reason}.") from exc
        except http.InvalidURL as exc:
            raise TemporaryFailure(
                f"The enrichment URL must start with http:// or https:// (got {self.base_url[:40]!r})."
            ) from exc


PROVIDERS = {"clearbit": "customers.enrichment.clearbit.ClearbitProvider"}


def enrichment_enabled() -> bool:
    return bool(settings.ENRICHMENT_BASE_URL)


def get_provider() -> Provider:
    name = settings.ENRICHMENT_PROVIDER
    if name not in PROVIDERS:
        raise PermanentFailure(f"Unknown enrichment provider “{name}” (known: {', '.join(PROVIDERS)}).")
    cls = import_string(PROVIDERS[name])
    return cls(
        base_url=settings.ENRICHMENT_BASE_URL, api_key=settings.ENRICHMENT_API_KEY, timeout=settings.ENRICHMENT_TIMEOUT
    )
