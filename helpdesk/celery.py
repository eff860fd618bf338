"""The Celery application. Tasks live in each app's tasks.py; beat sweeps are declared here."""

import os
import time

from celery import Celery
from celery.schedules import crontab  # noqa: F401  (kept for schedules that need wall-clock times)
from celery.signals import before_task_publish
from django.conf import settings
from django.core.cache import cache

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

BEAT_HEARTBEAT_TASK = "helpdesk.tasks.beat_heartbeat"
BEAT_HEARTBEAT_KEY = "health:beat"

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every module that defines tasks, named: feature packages are not apps, so autodiscovery would miss them.
TASK_PACKAGES = ["helpdesk", "conversations", "conversations.inbox", "customers", "customers.profiles"]
app.autodiscover_tasks(TASK_PACKAGES)

# The periodic sweeps. Each one is idempotent, so a missed or doubled tick does no harm.
app.conf.beat_schedule = {
    "outbox-sweep": {"task": "conversations.tasks.outbox_sweep", "schedule": 15.0},
    "enrichment-sweep": {"task": "customers.tasks.enrichment_sweep", "schedule": 60.0},
    "customer-merge-sweep": {"task": "customers.profiles.tasks.customer_merge_sweep", "schedule": 60.0},
    "presence-sweep": {"task": "conversations.inbox.tasks.presence_sweep", "schedule": 20.0},
    "unassigned-alert-sweep": {"task": "conversations.inbox.tasks.unassigned_alert_sweep", "schedule": 60.0},
    "snooze-sweep": {"task": "conversations.inbox.tasks.snooze_sweep", "schedule": 30.0},
    "offline-release-sweep": {"task": "conversations.inbox.tasks.offline_release_sweep", "schedule": 60.0},
    "backlog-sweep": {"task": "conversations.inbox.tasks.backlog_sweep", "schedule": 30.0},
}


@app.on_after_configure.connect
def beat_heartbeat_schedule(sender: Celery, **kwargs: object) -> None:
    # Proof of life for /healthz/deep, written by beat itself when it publishes it (see below). Added once
    # the configuration is read, not at import: importing this module must not read the settings.
    sender.add_periodic_task(
        float(settings.HEALTH_BEAT_SECONDS),
        sender.signature(BEAT_HEARTBEAT_TASK),
        name="beat-heartbeat",
        expires=settings.HEALTH_BEAT_SECONDS,
    )


@before_task_publish.connect
def beat_heartbeat_record(sender: str | None = None, **kwargs: object) -> None:
    # Runs in the publishing process, and only beat publishes the heartbeat: so a fresh value means beat is
    # alive whether or not a worker is.
    if sender == BEAT_HEARTBEAT_TASK:
        cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=None)
