"""Imports every module that registers outbox handlers, after-message hooks or connectors, so they exist
in every process (web, worker, beat, tests) before the first message is written."""

from conversations import customer_tasks  # noqa: F401
from conversations.connectors import api, apple, messenger, whatsapp  # noqa: F401
from conversations.services import (
    assignment,  # noqa: F401
    away,  # noqa: F401
    delivery,  # noqa: F401
    email_fallback,  # noqa: F401
    mentions,  # noqa: F401
    metrics,  # noqa: F401
)
