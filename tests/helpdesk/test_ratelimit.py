"""The shared rate limiter: rates spelled like DRF's, fixed windows per identity, the caller's real address."""

import json

import pytest

from helpdesk import ratelimit


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("30/min", (30, 60)), ("5/hour", (5, 3600)), ("10/s", (10, 1)), ("100/day", (100, 86400)), ("3/10m", (3, 600))],
)
def test_rates_are_read_like_drf_spells_them(rate, expected):
    assert ratelimit.parse_rate(rate) == expected


def test_a_rate_with_an_unknown_unit_is_an_error():
    with pytest.raises(ValueError):
        ratelimit.parse_rate("5/fortnight")


def test_the_limit_holds_per_identity_and_says_how_long_to_wait(settings):
    _rates(settings, visitor_message="2/min")
    now = 60 * 16_667 + 20.0  # 20 s into a one-minute window
    assert ratelimit.hit("visitor_message", "a", now=now) is None
    assert ratelimit.hit("visitor_message", "a", now=now) is None
    assert ratelimit.hit("visitor_message", "a", now=now) == 40
    assert ratelimit.hit("visitor_message", "b", now=now) is None
    assert ratelimit.hit("visitor_message", "a", now=now + 60) is None


def test_a_limited_request_answers_429_with_the_error_body_and_retry_after(settings):
    _rates(settings, inbound_webhook="1/min")
    ratelimit.check([("inbound_webhook", "10.0.0.1")], what="webhook requests")
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.check([("inbound_webhook", "10.0.0.1")], what="webhook requests")
    response = ratelimit.response(caught.value)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert json.loads(response.content)["error"]["code"] == "rate_limited"


def test_the_forwarded_address_counts_only_behind_a_proxy(settings):
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"}
    settings.SECURE_PROXY_SSL_HEADER = None
    assert ratelimit.client_ip(meta) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert ratelimit.client_ip(meta) == "203.0.113.7"
