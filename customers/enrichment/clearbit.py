"""Clearbit's combined person-and-company lookup by e-mail (GET /v2/combined/find?email=…).

Bearer key authentication. 200 carries ``{"person": …, "company": …}`` (either may be null), 202 means the
lookup is queued on their side, 404 that nobody is known by the address, 429 that we are rate limited
(with Retry-After); errors carry ``{"error": {"type", "message"}}``.
"""

from customers.enrichment import Found, NotFound, PermanentFailure, Provider, RetryAfter, TemporaryFailure
from helpdesk import http

DEFAULT_RETRY_SECONDS = 60.0


def _retry_after(response: http.Response) -> float:
    """Retry-After (seconds or an HTTP date), at least a second; our default when it says nothing we can read."""
    seconds = response.retry_after
    return DEFAULT_RETRY_SECONDS if seconds is None else max(seconds, 1.0)


def _error_message(response: http.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return str(error.get("message") or error.get("type") or "")[:300]
    except (ValueError, AttributeError):
        return ""


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


class ClearbitProvider(Provider):
    name = "clearbit"

    def lookup(self, email: str) -> Found:
        response = self.get(
            "/v2/combined/find", params={"email": email}, headers={"Authorization": f"Bearer {self.api_key}"}
        )
        status = response.status
        if status == 404:
            raise NotFound(_error_message(response) or "Nobody is known by this e-mail.")
        if status == 429:
            raise RetryAfter("Rate limited by the enrichment service.", seconds=_retry_after(response))
        if status == 202:
            raise RetryAfter("The enrichment service is still looking this person up.", seconds=_retry_after(response))
        if status in (401, 402, 403, 422):
            detail = _error_message(response)
            raise PermanentFailure(
                f"The enrichment service refused the lookup (HTTP {status}){': ' + detail if detail else ''}."
            )
        if status != 200:
            raise TemporaryFailure(f"The enrichment service answered HTTP {status}.")
        try:
            payload = response.json()
        except http.InvalidJSON as exc:
            raise TemporaryFailure("The enrichment service answered with something that is not JSON.") from exc
        if not isinstance(payload, dict) or not ({"person", "company"} & payload.keys()):
            raise TemporaryFailure("The enrichment service answered JSON without a person or company.")
        person = payload.get("person") or {}
        company = payload.get("company") or {}
        if not isinstance(person, dict) or not isinstance(company, dict):
            raise TemporaryFailure("The enrichment service answered a person or company that is not an object.")
        if not person and not company:
            raise NotFound("The enrichment service knows neither the person nor their company.")
        name = person.get("name") or {}
        employment = person.get("employment") or {}
        profile = {
            "name": _text(name.get("fullName")) if isinstance(name, dict) else "",
            "company": _text(company.get("name"))
            or (_text(employment.get("name")) if isinstance(employment, dict) else ""),
            "location": _text(person.get("location")),
            "avatar_url": _text(person.get("avatar")),
            "time_zone": _text(person.get("timeZone")),
            "title": _text(employment.get("title")) if isinstance(employment, dict) else "",
            "company_domain": _text(company.get("domain")),
        }
        return Found(profile={k: v for k, v in profile.items() if v}, raw={"person": person, "company": company})
