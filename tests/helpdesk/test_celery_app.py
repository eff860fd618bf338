"""The Celery app: importing it reads no settings (tools set VAR_DIR after importing us), and beat's
schedule carries the health heartbeat at the configured interval."""

import subprocess
import sys
from pathlib import Path

from helpdesk.celery import BEAT_HEARTBEAT_TASK, app

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_celery_app_does_not_read_the_settings():
    probe = "import helpdesk.celery; from django.conf import settings; print(settings.configured)"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "helpdesk.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_beat_publishes_the_health_heartbeat(settings):
    entry = app.conf.beat_schedule["beat-heartbeat"]
    assert entry["task"] == BEAT_HEARTBEAT_TASK
    assert entry["schedule"] == float(settings.HEALTH_BEAT_SECONDS)


def test_every_process_knows_every_task_once_django_is_set_up():
    # A web process that has imported no task module (as daphne had not) can still enqueue by name,
    # from any thread.
    probe = (
        "import django, threading; django.setup(); from celery import current_app; "
        "from conversations.services.outbox import OUTBOX_RUN_TASK; found = [];"
        "t = threading.Thread(target=lambda: found.append(OUTBOX_RUN_TASK in current_app.tasks)); "
        "t.start(); t.join(); print(found[0], 'conversations.inbox.tasks.presence_sweep' in current_app.tasks)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "VAR_DIR": str(ROOT / "var")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"
