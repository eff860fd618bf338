"""Imports every module that registers outbox handlers, after-message hooks or connectors, so they exist
in every process (web, worker, beat, tests) before the first message is written."""

from conversations.connectors import api  # noqa: F401
from conversations.services import delivery  # noqa: F401
