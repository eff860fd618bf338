"""The agents' event log written at the end of a block: same order, consecutive seqs, nothing on failure."""

import pytest
from django.db import transaction

from conversations.chat import identity
from conversations.models import Event
from conversations.services.events import event_emit, events_at_end
from tests.factories import AgentFactory, ConversationFactory, InboxFactory
from tests.helpers import chat_message_send

pytestmark = pytest.mark.django_db


def test_events_held_to_the_end_of_a_block_keep_their_order_and_take_consecutive_seqs():
    conversation = ConversationFactory()
    event_emit(type="before", payload={}, conversation=conversation)
    with transaction.atomic(), events_at_end():
        for name in ("one", "two", "three"):
            event_emit(type=name, payload={"name": name}, conversation=conversation)
        assert not Event.objects.filter(type__in=["one", "two", "three"]).exists()
    before = Event.objects.get(type="before").seq
    logged = list(Event.objects.filter(seq__gt=before).order_by("seq").values_list("type", "seq"))
    assert logged == [("one", before + 1), ("two", before + 2), ("three", before + 3)]


def test_a_failing_block_logs_none_of_its_held_events():
    conversation = ConversationFactory()
    with pytest.raises(RuntimeError), transaction.atomic(), events_at_end():
        event_emit(type="doomed", payload={}, conversation=conversation)
        raise RuntimeError("the write failed")
    assert not Event.objects.filter(type="doomed").exists()
    event_emit(type="after", payload={}, conversation=conversation)
    assert Event.objects.filter(type="after").exists()


def test_a_first_chat_message_logs_the_new_conversation_before_its_message():
    inbox = InboxFactory(kind="webchat")
    inbox.team.members.add(AgentFactory())
    visitor = identity.visitor_create(inbox=inbox)
    message, _, conversation = chat_message_send(visitor=visitor, body="hello", client_id="c1")
    types = list(Event.objects.filter(conversation=conversation).order_by("seq").values_list("type", flat=True))
    assert types[0] == "conversation.created" and types[-1] == "message.created"
    seqs = list(Event.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
