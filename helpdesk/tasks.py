"""Tasks of the project itself (not of a feature)."""

from celery import shared_task

from helpdesk.celery import BEAT_HEARTBEAT_TASK


@shared_task(name=BEAT_HEARTBEAT_TASK, ignore_result=True)
def beat_heartbeat() -> str:
    # Beat records the heartbeat when it publishes this; a worker only has to take it off the queue.
    return "ok"
