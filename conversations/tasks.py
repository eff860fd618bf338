"""Celery tasks: fetch by id, call a service. Every task here is idempotent."""

from celery import shared_task

from conversations.services import outbox


@shared_task(acks_late=True, reject_on_worker_lost=True)
def outbox_run(item_id: int) -> str:
    # acks_late is safe: outbox_process does nothing for an item already done.
    return outbox.outbox_process(item_id=item_id)


@shared_task
def outbox_sweep() -> int:
    return outbox.outbox_sweep()


@shared_task
def presence_sweep() -> int:
    from conversations.inbox.services.presence import presence_sweep as sweep

    return sweep()


@shared_task
def unassigned_alert_sweep() -> int:
    from conversations.inbox.services.assignment import unassigned_alert_sweep as sweep

    return sweep()


@shared_task
def snooze_sweep() -> int:
    from conversations.inbox.services.snooze import snooze_sweep as sweep

    return sweep()


@shared_task
def backlog_sweep() -> int:
    from conversations.inbox.services.backlog import backlog_sweep as sweep

    return sum(sweep().values())
