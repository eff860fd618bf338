"""The transactional outbox: one row per intent, one effect per row, retries, and the sweep for lost tasks."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from conversations.models import Message, OutboxItem
from conversations.services import outbox
from conversations.services.messages import system_message_create
from conversations.tasks import OUTBOX_HANDLERS
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db

KIND = "test.note"
effects: list[int] = []


@pytest.fixture(autouse=True)
def handler(monkeypatch):
    effects.clear()
    behaviour = {"fail": 0, "later": False}

    def run(item):
        if behaviour["later"]:
            raise outbox.RetryLater("busy", delay=60)
        if behaviour["fail"]:
            behaviour["fail"] -= 1
            raise RuntimeError("far side down")
        effects.append(item.id)
        system_message_create(conversation=item.conversation, body="done", event="test")

    monkeypatch.setattr(outbox, "KINDS", outbox.KINDS | {KIND})
    monkeypatch.setitem(OUTBOX_HANDLERS, KIND, run)
    return behaviour


@pytest.fixture
def enqueued(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(outbox, "_enqueue", lambda item_id, run_after=None: calls.append(item_id))
    return calls


def test_the_same_key_twice_is_one_intent(enqueued, django_capture_on_commit_callbacks):
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first, created = outbox.outbox_add(kind=KIND, key="k1", conversation=conversation)
        second, created_again = outbox.outbox_add(kind=KIND, key="k1", conversation=conversation)
    assert created and not created_again
    assert first.pk == second.pk
    assert enqueued == [first.pk]


def test_an_intent_rolled_back_with_its_cause_is_never_enqueued(enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.outbox_add(kind=KIND, key="k2", conversation=ConversationFactory())
            raise RuntimeError("cause failed")
    assert OutboxItem.objects.count() == 0
    assert enqueued == []


def test_processing_twice_has_one_effect(enqueued):
    item, _ = outbox.outbox_add(kind=KIND, key="k3", conversation=ConversationFactory())
    assert outbox.outbox_process(item_id=item.pk, handlers=OUTBOX_HANDLERS) == "done"
    assert outbox.outbox_process(item_id=item.pk, handlers=OUTBOX_HANDLERS) == "done"
    assert effects == [item.pk]
    assert Message.objects.filter(event="test").count() == 1


def test_a_failure_is_retried_with_backoff_and_then_succeeds(handler, enqueued):
    handler["fail"] = 1
    item, _ = outbox.outbox_add(kind=KIND, key="k4", conversation=ConversationFactory())
    assert outbox.outbox_process(item_id=item.pk, handlers=OUTBOX_HANDLERS) == "retry"
    item.refresh_from_db()
    assert item.attempts == 1 and "far side down" in item.last_error
    assert item.run_after > timezone.now()
    assert Message.objects.filter(event="test").count() == 0, "a failed attempt must leave no effect"
    OutboxItem.objects.filter(pk=item.pk).update(run_after=timezone.now())
    assert outbox.outbox_process(item_id=item.pk, handlers=OUTBOX_HANDLERS) == "done"
    assert effects == [item.pk]


def test_it_gives_up_after_the_last_attempt_and_keeps_the_error(handler, enqueued):
    handler["fail"] = 100
    item, _ = outbox.outbox_add(kind=KIND, key="k5", conversation=ConversationFactory())
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboxItem.objects.filter(pk=item.pk).update(run_after=timezone.now())
        outbox.outbox_process(item_id=item.pk, handlers=OUTBOX_HANDLERS)
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.FAILED
    assert item.attempts == outbox.MAX_ATTEMPTS


def test_retry_later_does_not_count_as_an_attempt(handler, enqueued):
    handler["later"] = True
    item, _ = outbox.outbox_add(kind=KIND, key="k6", conversation=ConversationFactory())
    assert outbox.outbox_process(item_id=item.pk, handlers=OUTBOX_HANDLERS) == "later"
    item.refresh_from_db()
    assert item.attempts == 0
    assert item.run_after > timezone.now() + timedelta(seconds=30)


def test_the_sweep_re_enqueues_only_overdue_pending_intents(enqueued):
    conversation = ConversationFactory()
    old, _ = outbox.outbox_add(kind=KIND, key="old", conversation=conversation)
    fresh, _ = outbox.outbox_add(kind=KIND, key="fresh", conversation=conversation)
    done, _ = outbox.outbox_add(kind=KIND, key="done", conversation=conversation)
    long_ago = timezone.now() - timedelta(minutes=5)
    OutboxItem.objects.filter(pk__in=[old.pk, done.pk]).update(run_after=long_ago)
    OutboxItem.objects.filter(pk=done.pk).update(status=OutboxItem.Status.DONE)
    enqueued.clear()
    assert outbox.outbox_sweep() == 1
    assert enqueued == [old.pk]


def test_an_unknown_kind_is_refused_at_once():
    with pytest.raises(ValueError):
        outbox.outbox_add(kind="no.such.kind", key="x")


def test_an_intent_not_yet_due_waits_for_the_sweep_when_tasks_run_inline(django_capture_on_commit_callbacks):
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        item, _ = outbox.outbox_add(
            kind=KIND, key="later", conversation=conversation, run_after=timezone.now() + timedelta(minutes=5)
        )
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.PENDING
    assert effects == []
