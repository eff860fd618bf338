"""The inbox's periodic sweeps (run by beat): presence, unassigned alerts, snoozes, the backlog at opening."""

from celery import shared_task

from conversations.inbox.services import assignment, backlog, presence, snooze


@shared_task
def presence_sweep() -> int:
    return presence.presence_sweep()


@shared_task
def unassigned_alert_sweep() -> int:
    return assignment.unassigned_alert_sweep()


@shared_task
def offline_release_sweep() -> int:
    return assignment.offline_assignees_release()


@shared_task
def snooze_sweep() -> int:
    return snooze.snooze_sweep()


@shared_task
def backlog_sweep() -> int:
    return sum(backlog.backlog_sweep().values())
