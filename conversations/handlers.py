"""Imports every module that registers outbox handlers, after-message hooks or connectors, so they exist
in every process (web, worker, beat, tests) before the first message is written."""

from conversations.connectors import api, apple, messenger, whatsapp  # noqa: F401
from conversations.services import delivery  # noqa: F401
from conversations.services import assignment  # noqa: F401
from conversations.services import mentions  # noqa: F401
from conversations.services import email_fallback  # noqa: F401
from conversations.services import away  # noqa: F401
from conversations.services import metrics  # noqa: F401
from conversations import customer_tasks  # noqa: F401
