"""The no-loss log under real concurrency on PostgreSQL: writers in threads, resends racing each other."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conversations.models import Event, Message
from conversations.services.messages import message_create
from tests.factories import ConversationFactory
from tests.services import need_postgres

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WRITERS = 8
PER_WRITER = 25


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def test_concurrent_writers_get_gapless_unique_seqs():
    need_postgres()
    conversation = ConversationFactory()
    barrier = threading.Barrier(WRITERS)

    @_in_thread
    def writer(n):
        barrier.wait()
        return [
            message_create(conversation=conversation, sender="customer", body=f"w{n}-{i}", client_id=f"w{n}-{i}")[0].seq
            for i in range(PER_WRITER)
        ]

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(writer, range(WRITERS)))

    seqs = sorted(seq for batch in results for seq in batch)
    assert seqs == list(range(1, WRITERS * PER_WRITER + 1))
    stored = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert stored == seqs
    conversation.refresh_from_db()
    assert conversation.last_seq == WRITERS * PER_WRITER


def test_racing_resends_of_one_client_id_store_one_message():
    need_postgres()
    conversation = ConversationFactory()
    barrier = threading.Barrier(WRITERS)

    @_in_thread
    def resend(_):
        barrier.wait()
        message, created = message_create(conversation=conversation, sender="customer", body="once", client_id="dup")
        return message.pk, created

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(resend, range(WRITERS)))

    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_the_agent_event_log_stays_gapless_across_conversations():
    need_postgres()
    conversations = [ConversationFactory() for _ in range(4)]
    start = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    @_in_thread
    def writer(n):
        for i in range(PER_WRITER):
            message_create(conversation=conversations[n % 4], sender="customer", body=f"{n}-{i}")

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))

    seqs = list(Event.objects.filter(seq__gt=start).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(start + 1, start + 1 + len(seqs)))
    assert len(seqs) == WRITERS * PER_WRITER
