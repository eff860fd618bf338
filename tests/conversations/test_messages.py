"""The message log: gapless seqs, idempotent resends, broadcast only after commit and only where allowed."""

import pytest
from django.db import transaction

from conversations import realtime
from conversations.models import Event, Message
from conversations.services.messages import conversation_mark_read
from helpdesk.errors import ApplicationError
from tests.factories import AgentFactory, ConversationFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


def test_it_numbers_messages_one_two_three_per_conversation():
    first, second = ConversationFactory(), ConversationFactory()
    seqs = [message_create(conversation=first, sender="customer", body=f"m{i}")[0].seq for i in range(3)]
    other = message_create(conversation=second, sender="customer", body="x")[0]
    assert seqs == [1, 2, 3]
    assert other.seq == 1
    first.refresh_from_db()
    assert first.last_seq == 3


def test_a_resend_with_the_same_client_id_returns_the_original():
    conversation = ConversationFactory()
    original, created = message_create(conversation=conversation, sender="customer", body="hello", client_id="c-1")
    again, created_again = message_create(conversation=conversation, sender="customer", body="hello", client_id="c-1")
    assert created and not created_again
    assert again.pk == original.pk
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_the_same_client_id_in_another_conversation_is_a_new_message():
    a, b = ConversationFactory(), ConversationFactory()
    message_create(conversation=a, sender="customer", body="hi", client_id="same")
    _, created = message_create(conversation=b, sender="customer", body="hi", client_id="same")
    assert created


@pytest.mark.parametrize("body", ["", "   ", "\x00"])
def test_it_refuses_an_empty_message(body):
    with pytest.raises(ApplicationError) as err:
        message_create(conversation=ConversationFactory(), sender="customer", body=body)
    assert err.value.code == "empty_message"


def test_it_refuses_a_message_over_the_size_limit(settings):
    settings.MESSAGE_MAX_CHARS = 10
    with pytest.raises(ApplicationError) as err:
        message_create(conversation=ConversationFactory(), sender="customer", body="x" * 11)
    assert err.value.status_code == 413
    assert Message.objects.count() == 0


def test_a_customer_message_starts_the_wait_and_an_agent_reply_ends_it():
    conversation = ConversationFactory()
    agent = AgentFactory()
    message_create(conversation=conversation, sender="customer", body="help")
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None
    message_create(conversation=conversation, sender="agent", author=agent, body="on it")
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.first_response_at is not None
    assert conversation.agent_read_seq == 2


def test_a_private_note_does_not_end_the_wait_or_reach_the_customer(broadcasts, django_capture_on_commit_callbacks):
    conversation = ConversationFactory()
    agent = AgentFactory()
    message_create(conversation=conversation, sender="customer", body="help")
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message_create(conversation=conversation, sender="agent", author=agent, body="internal", is_private=True)
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None
    groups = [group for group, _ in broadcasts]
    assert realtime.conversation_customer_group(conversation.id) not in groups
    assert realtime.team_group(conversation.team_id) in groups


def test_it_broadcasts_only_after_commit(broadcasts, django_capture_on_commit_callbacks):
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_create(conversation=conversation, sender="customer", body="hi")
        assert broadcasts == []
    for callback in callbacks:
        callback()
    customer_frames = [m["frame"] for g, m in broadcasts if g == realtime.conversation_customer_group(conversation.id)]
    assert customer_frames[0]["message"]["body"] == "hi"
    assert customer_frames[0]["message"]["seq"] == 1


def test_a_rolled_back_message_leaves_no_gap_and_no_broadcast(broadcasts, django_capture_on_commit_callbacks):
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                message_create(conversation=conversation, sender="customer", body="lost")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        message, _ = message_create(conversation=conversation, sender="customer", body="kept")
    assert message.seq == 1
    bodies = [
        m["frame"]["message"]["body"]
        for g, m in broadcasts
        if g.startswith("conv.") and m["frame"]["type"] == "message"
    ]
    assert "lost" not in bodies
    assert bodies.count("kept") == 1


def test_every_message_is_logged_as_an_agent_event_with_a_gapless_sequence():
    conversation = ConversationFactory()
    for i in range(3):
        message_create(conversation=conversation, sender="customer", body=str(i))
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert Event.objects.filter(type="message.created").count() == 3


def test_customers_cannot_write_private_notes():
    with pytest.raises(ApplicationError):
        message_create(conversation=ConversationFactory(), sender="customer", body="x", is_private=True)


def test_read_cursors_only_move_forward():
    conversation = ConversationFactory()
    for i in range(3):
        message_create(conversation=conversation, sender="customer", body=str(i))
    conversation_mark_read(conversation=conversation, seq=2, by_customer=False)
    conversation_mark_read(conversation=conversation, seq=1, by_customer=False)
    conversation.refresh_from_db()
    assert conversation.agent_read_seq == 2
    conversation_mark_read(conversation=conversation, seq=99, by_customer=False)
    conversation.refresh_from_db()
    assert conversation.agent_read_seq == 3


def test_each_customer_frame_names_the_public_message_before_it_so_notes_leave_no_gap(
    broadcasts, django_capture_on_commit_callbacks
):
    conversation = ConversationFactory()
    agent = AgentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = message_create(conversation=conversation, sender="customer", body="Hello")[0]
        for n in range(3):
            message_create(conversation=conversation, sender="agent", author=agent, body=f"note {n}", is_private=True)
        reply = message_create(conversation=conversation, sender="agent", author=agent, body="Hi!")[0]
    group = realtime.conversation_customer_group(conversation.id)
    frames = [m["frame"] for g, m in broadcasts if g == group and m["frame"]["type"] == "message"]
    assert [(f["message"]["seq"], f["prev_seq"]) for f in frames] == [(first.seq, 0), (reply.seq, first.seq)]
    assert reply.seq == first.seq + 4  # the notes took seqs 2-4: a gap in seq, none in prev_seq
