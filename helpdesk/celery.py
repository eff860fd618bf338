"""The Celery application. Tasks live in each app's tasks.py; beat sweeps are declared here."""

import os

from celery import Celery
from celery.schedules import crontab  # noqa: F401  (kept for schedules that need wall-clock times)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every module that defines tasks, named: feature packages are not apps, so autodiscovery would miss them.
app.autodiscover_tasks(["conversations", "conversations.inbox", "customers", "customers.profiles"])

# The periodic sweeps. Each one is idempotent, so a missed or doubled tick does no harm.
app.conf.beat_schedule = {
    "outbox-sweep": {"task": "conversations.tasks.outbox_sweep", "schedule": 15.0},
    "enrichment-sweep": {"task": "customers.tasks.enrichment_sweep", "schedule": 60.0},
    "customer-merge-sweep": {"task": "customers.profiles.tasks.customer_merge_sweep", "schedule": 60.0},
    "presence-sweep": {"task": "conversations.inbox.tasks.presence_sweep", "schedule": 20.0},
    "unassigned-alert-sweep": {"task": "conversations.inbox.tasks.unassigned_alert_sweep", "schedule": 60.0},
    "snooze-sweep": {"task": "conversations.inbox.tasks.snooze_sweep", "schedule": 30.0},
    "backlog-sweep": {"task": "conversations.inbox.tasks.backlog_sweep", "schedule": 30.0},
}
