"""The no-loss log under real concurrency on PostgreSQL: writers in threads, resends racing each other."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conversations.models import Event, Message
from tests.factories import ConversationFactory
from tests.helpers import message_create
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
    assert len(set(seqs)) == WRITERS * PER_WRITER
    # Automatic messages (an away reply, say) may take seqs between the customers'; the log as a whole
    # must still run 1, 2, 3 … with no gap and no repeat.
    conversation.refresh_from_db()
    stored = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert stored == list(range(1, conversation.last_seq + 1))
    assert set(seqs) <= set(stored)
    assert Message.objects.filter(conversation=conversation, sender="customer").count() == WRITERS * PER_WRITER


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
    assert Message.objects.filter(conversation=conversation, sender="customer").count() == 1


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
    assert len(seqs) >= WRITERS * PER_WRITER  # one per message, and more for what the messages set off


def test_racing_first_messages_of_one_visitor_start_one_conversation():
    need_postgres()
    from conversations.chat.identity import visitor_create
    from conversations.models import Conversation
    from tests.factories import InboxFactory
    from tests.helpers import chat_message_send

    visitor = visitor_create(inbox=InboxFactory())
    barrier = threading.Barrier(WRITERS)

    @_in_thread
    def send(n):
        barrier.wait()
        return chat_message_send(visitor=visitor, body=f"hello {n}", client_id=f"v-{n}")[2].pk

    with ThreadPoolExecutor(WRITERS) as pool:
        conversation_ids = set(pool.map(send, range(WRITERS)))

    assert len(conversation_ids) == 1
    assert Conversation.objects.filter(customer=visitor.customer).count() == 1
    assert Message.objects.filter(sender="customer", conversation_id__in=conversation_ids).count() == WRITERS
