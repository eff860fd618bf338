"""Away replies with a real Celery worker: exactly one reply when the task runs several times at once, and
when the worker is killed with SIGKILL between writing the reply and committing it."""

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conversations.away.services import AWAY_REPLY
from conversations.models import Message, OutboxItem
from conversations.services.outbox import outbox_sweep
from conversations.tasks import outbox_run
from helpdesk.celery import app
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.helpers import message_create
from tests.hours.policies import never_open
from tests.live import CeleryWorker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(settings):
    # Tasks go to the real broker and the real worker, not inline.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    yield


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.stop()


def closed_conversation():
    team = TeamFactory(business_hours_policy=never_open())
    team.members.add(AgentFactory())
    return ConversationFactory(inbox=InboxFactory(team=team), team=team)


def away_replies(conversation) -> int:
    return Message.objects.filter(conversation=conversation, event="away_reply").count()


def descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces; the parent pid follows the state.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            children.append(int(entry.name))
            children += descendants(int(entry.name))
    return children


def kill_hard(worker: CeleryWorker) -> None:
    for pid in [*descendants(worker.proc.pid), worker.proc.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.proc.wait(timeout=15)


def wait_succeeded(worker: CeleryWorker, task_ids: list[str]) -> None:
    wait_for(
        lambda: all(f"[{task_id}] succeeded" in worker.output() for task_id in task_ids),
        timeout=30,
        message="the worker to finish every copy of the task",
    )


def test_the_task_running_several_times_at_once_writes_one_reply(broker, workers):
    workers.append(CeleryWorker(concurrency=2))
    conversation = closed_conversation()
    message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Anyone there?")
    item = OutboxItem.objects.get(kind=AWAY_REPLY, conversation=conversation)

    copies = [outbox_run.apply_async(args=[item.pk]).id for _ in range(3)]
    wait_succeeded(workers[0], copies)
    wait_for(lambda: OutboxItem.objects.get(pk=item.pk).status == "done", message="the away reply")

    assert away_replies(conversation) == 1
    assert OutboxItem.objects.filter(kind=AWAY_REPLY, conversation=conversation).count() == 1


def test_a_worker_killed_mid_task_leaves_no_reply_and_the_sweep_sends_exactly_one(broker, workers):
    doomed = CeleryWorker(AWAY_REPLY_TEST_SLEEP_SECONDS=120)
    workers.append(doomed)
    conversation = closed_conversation()
    message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Anyone there?")
    item = OutboxItem.objects.get(kind=AWAY_REPLY, conversation=conversation)

    wait_for(lambda: "pausing" in doomed.output(), timeout=30, message="the worker to write the reply")
    kill_hard(doomed)
    assert away_replies(conversation) == 0
    assert OutboxItem.objects.get(pk=item.pk).status == OutboxItem.Status.PENDING

    survivor = CeleryWorker()
    workers.append(survivor)
    # The beat sweep, run a minute later: the row is past due, so its task is taken as lost.
    assert outbox_sweep(now=timezone.now() + timedelta(minutes=1)) >= 1
    wait_for(lambda: OutboxItem.objects.get(pk=item.pk).status == "done", timeout=30, message="the re-run")
    assert away_replies(conversation) == 1

    copies = [outbox_run.apply_async(args=[item.pk]).id for _ in range(2)]
    wait_succeeded(survivor, copies)
    assert away_replies(conversation) == 1


def test_a_task_lost_with_a_killed_worker_is_delivered_again_by_the_broker_without_beat(broker, workers):
    # No sweep runs here: the broker itself hands the unacknowledged task to the next worker once the
    # visibility timeout passes (60 s in production, 5 s here).
    doomed = CeleryWorker(AWAY_REPLY_TEST_SLEEP_SECONDS=120, CELERY_VISIBILITY_TIMEOUT=5)
    workers.append(doomed)
    conversation = closed_conversation()
    message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Anyone there?")
    item = OutboxItem.objects.get(kind=AWAY_REPLY, conversation=conversation)
    wait_for(lambda: "pausing" in doomed.output(), timeout=30, message="the worker to write the reply")
    kill_hard(doomed)

    workers.append(CeleryWorker(CELERY_VISIBILITY_TIMEOUT=5))
    wait_for(lambda: OutboxItem.objects.get(pk=item.pk).status == "done", timeout=60, message="the broker to redeliver")
    assert away_replies(conversation) == 1
