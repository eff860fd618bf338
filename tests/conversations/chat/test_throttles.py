import pytest

from conversations.chat import throttles


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("30/min", (30, 60)), ("5/hour", (5, 3600)), ("10/s", (10, 1)), ("100/day", (100, 86400)), ("3/10m", (3, 600))],
)
def test_rates_are_read_like_drf_spells_them(rate, expected):
    assert throttles.parse_rate(rate) == expected


def test_a_rate_with_an_unknown_unit_is_an_error():
    with pytest.raises(ValueError):
        throttles.parse_rate("5/fortnight")


def test_the_limit_holds_per_identity_and_says_how_long_to_wait(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "visitor_message": "2/min"},
    }
    now = 60 * 16_667 + 20.0  # 20 s into a one-minute window
    assert throttles.hit("visitor_message", "a", now=now) is None
    assert throttles.hit("visitor_message", "a", now=now) is None
    assert throttles.hit("visitor_message", "a", now=now) == 40
    assert throttles.hit("visitor_message", "b", now=now) is None
    assert throttles.hit("visitor_message", "a", now=now + 60) is None


def test_check_reports_the_longest_wait_of_the_limits_exceeded(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "visitor_conversation": "1/hour",
            "ip_conversation": "1/min",
        },
    }
    limits = throttles.conversation_limits(visitor_key="v", ip="10.0.0.9")
    throttles.check(limits, what="new conversations")
    with pytest.raises(throttles.RateLimited) as caught:
        throttles.check(limits, what="new conversations")
    assert caught.value.status_code == 429
    assert caught.value.retry_after > 60


def test_the_forwarded_address_counts_only_behind_a_proxy(settings):
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1"}
    settings.SECURE_PROXY_SSL_HEADER = None
    assert throttles.client_ip(meta) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert throttles.client_ip(meta) == "203.0.113.7"
