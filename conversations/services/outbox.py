"""The transactional outbox: side effects written as rows with their cause, done by Celery, exactly once.

An intent is inserted in the caller's transaction under a unique key, so the same intent twice is one row.
A task runs it under a row lock and marks it done in the same transaction as its effect, so a task that
runs twice, or dies mid-way, leaves exactly one effect. A beat sweep re-enqueues rows whose task was lost.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from conversations.models import Conversation, Message, OutboxItem

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A pending row this long past due has lost its task (worker killed, broker flushed): enqueue it again.
SWEEP_GRACE = timedelta(seconds=10)

# The kinds of intent. Who carries out each one is written in one table, conversations.tasks.OUTBOX_HANDLERS.
DELIVER = "deliver"  # a public non-customer message, out over its connector channel
AWAY_REPLY = "away_reply"  # the automatic away reply of one closed period
EMAIL_FALLBACK = "email_fallback"  # agent replies the customer has not seen, by e-mail
KINDS = frozenset({DELIVER, AWAY_REPLY, EMAIL_FALLBACK})

Handler = Callable[[OutboxItem], None]


class RetryLater(Exception):
    """Raised by a handler to try again later without counting it as an error (e.g. a 429 from a channel)."""

    def __init__(self, message: str = "", *, delay: float = 30.0):
        super().__init__(message)
        self.delay = delay


OUTBOX_RUN_TASK = "conversations.tasks.outbox_run"


def _enqueue(item_id: int, run_after: datetime | None = None) -> None:
    # By name: the task lives above the features whose handlers it dispatches to. Every process has
    # imported it at start (helpdesk.apps).
    outbox_run = current_app.tasks[OUTBOX_RUN_TASK]

    if run_after is not None and run_after > timezone.now():
        # Not due yet: the sweep enqueues it once it is (within SWEEP_GRACE + its interval). No task with an
        # eta: a worker holding one died for good on a Redis reconnect, and an inline task would run now.
        return
    try:
        outbox_run.apply_async(args=(item_id,))
    except (OperationalError, OSError) as exc:
        # The broker is down. The row is committed and pending: the beat sweep enqueues it again once the
        # broker is back. Raising here would answer an error for a write that is already stored.
        logger.warning("outbox item %s not enqueued (%s); the sweep will run it", item_id, exc)


def outbox_add(
    *,
    kind: str,
    key: str,
    conversation: Conversation | None = None,
    message: Message | None = None,
    payload: dict[str, Any] | None = None,
    run_after: datetime | None = None,
) -> tuple[OutboxItem, bool]:
    """Write an intent in the current transaction (enqueued on commit); the existing one if the key is taken."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    run_after = run_after or timezone.now()
    try:
        with transaction.atomic():
            item = OutboxItem.objects.create(
                kind=kind,
                key=key,
                conversation=conversation,
                message=message,
                payload=payload or {},
                run_after=run_after,
            )
    except IntegrityError:
        return OutboxItem.objects.get(key=key), False
    transaction.on_commit(lambda: _enqueue(item.id, run_after), robust=True)
    return item, True


def outbox_process(*, item_id: int, handlers: Mapping[str, Handler]) -> str:
    """Carry out one intent with its kind's handler. Safe to call any number of times, concurrently: one
    effect at most."""
    retry_at = None
    with transaction.atomic():
        item = OutboxItem.objects.select_for_update(skip_locked=True).filter(pk=item_id).first()
        if item is None:
            return "busy-or-missing"
        if item.status != OutboxItem.Status.PENDING:
            return item.status
        now = timezone.now()
        if item.run_after > now:
            retry_at = item.run_after
            outcome = "not-due"
        else:
            handler = handlers.get(item.kind)
            try:
                if handler is None:
                    raise RuntimeError(f"no outbox handler for {item.kind!r}")
                with transaction.atomic():
                    handler(item)
            except RetryLater as exc:
                item.run_after = now + timedelta(seconds=exc.delay)
                item.last_error = str(exc)[:2000]
                item.save(update_fields=["run_after", "last_error"])
                retry_at, outcome = item.run_after, "later"
            except Exception as exc:
                logger.exception("outbox item %s (%s) failed", item.pk, item.kind)
                item.attempts += 1
                item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if item.attempts >= MAX_ATTEMPTS:
                    item.status = OutboxItem.Status.FAILED
                    outcome = "failed"
                else:
                    item.run_after = now + timedelta(seconds=min(2**item.attempts * 5, 3600))
                    retry_at, outcome = item.run_after, "retry"
                item.save(update_fields=["attempts", "last_error", "status", "run_after"])
            else:
                item.status = OutboxItem.Status.DONE
                item.done_at = timezone.now()
                item.save(update_fields=["status", "done_at"])
                outcome = "done"
    if retry_at is not None:
        _enqueue(item_id, retry_at)
    return outcome


def outbox_cancel(*, kind: str, conversation: Conversation) -> int:
    """Drop pending intents that no longer make sense (an e-mail for a reply the customer has now seen)."""
    return OutboxItem.objects.filter(kind=kind, conversation=conversation, status=OutboxItem.Status.PENDING).update(
        status=OutboxItem.Status.CANCELLED, done_at=timezone.now()
    )


def outbox_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue pending intents whose task seems lost. Idempotent, so a double enqueue is harmless."""
    now = now or timezone.now()
    ids = list(
        OutboxItem.objects.filter(status=OutboxItem.Status.PENDING, run_after__lte=now - SWEEP_GRACE)
        .order_by("run_after")
        .values_list("id", flat=True)[:limit]
    )
    for item_id in ids:
        _enqueue(item_id)
    return len(ids)
