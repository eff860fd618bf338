"""What every messaging connector provides (the outbound half of a channel), and how it calls a channel's API."""

from conversations.models import Conversation, Inbox, Message
from conversations.services.outbox import RetryLater
from helpdesk import http

DEFAULT_RETRY_SECONDS = 30.0


class DeliveryError(Exception):
    """The far side refused the message for good (bad token, unknown recipient); retrying will not help.

    ``data`` is the refusal's body parsed as JSON, when it was JSON (a Graph API error, say)."""

    def __init__(self, message: str, *, data: object = None):
        super().__init__(message)
        self.data = data


class Connector:
    """Outbound half of a channel. Inbound webhooks are views in the same module."""

    kind: str = ""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    def send(self, *, conversation: Conversation, message: Message) -> str | None:
        """Deliver one public message; return the channel's id for it. Raise RetryLater or DeliveryError."""
        raise NotImplementedError


def post(url: str, *, json: object = None, data: bytes | None = None, headers: dict | None = None) -> http.Response:
    """POST JSON (or ``data`` already encoded) to a channel. 2xx returns; 429 and 5xx raise RetryLater
    (honouring Retry-After); other 4xx raise DeliveryError; no answer at all raises RetryLater."""
    try:
        response = http.request(
            "POST", url, json=json, data=data, headers={"Content-Type": "application/json", **(headers or {})}
        )
    except http.InvalidURL as exc:
        raise DeliveryError(str(exc)) from None
    except http.Unreachable as exc:
        raise RetryLater(str(exc), delay=DEFAULT_RETRY_SECONDS) from None
    try:
        return response.raise_for_status()
    except http.StatusError as exc:
        if exc.status == 429 or exc.status >= 500:
            raise RetryLater(f"{url} answered {exc.status}", delay=_retry_delay(exc.retry_after)) from None
        raise DeliveryError(str(exc), data=exc.data) from None


def answer_json(response: http.Response):
    """A channel's answer parsed; one that is not JSON is a refusal we cannot read, not worth retrying."""
    try:
        return response.json()
    except http.InvalidJSON as exc:
        raise DeliveryError(str(exc)) from None


def _retry_delay(seconds: float | None) -> float:
    if seconds is None:
        return DEFAULT_RETRY_SECONDS
    return max(1.0, min(seconds, 3600.0))
