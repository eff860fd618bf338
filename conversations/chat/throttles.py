"""The chat page's rate limits, counted by the shared limiter (``helpdesk.ratelimit``).

Each limit pairs a visitor key with the caller's address, so one noisy visitor or address is slowed down
and nobody else is."""

from helpdesk.ratelimit import Limit


def message_limits(*, visitor_key: str, ip: str) -> list[Limit]:
    return [("visitor_message", visitor_key), ("ip_message", ip)]


def conversation_limits(*, visitor_key: str, ip: str) -> list[Limit]:
    return [("visitor_conversation", visitor_key), ("ip_conversation", ip)]
