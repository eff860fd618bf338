import pytest

from conversations.chat import throttles
from helpdesk import ratelimit


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
    ratelimit.check(limits, what="new conversations")
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.check(limits, what="new conversations")
    assert caught.value.status_code == 429
    assert caught.value.retry_after > 60
