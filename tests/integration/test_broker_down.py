"""A write that is committed is answered as a success, even when the broker cannot take its task.

With the broker down, the outbox row is stored and pending: the sweep enqueues it once the broker is
back. An error answer would make the inbox send the reply again.
"""

import pytest
from rest_framework.authtoken.models import Token

from conversations.models import Message, OutboxItem
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.live import LiveServer, agent_message_post

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _post(server, token, conversation, body, client_id):
    return agent_message_post(server, token.key, conversation.id, body, client_id=client_id)


def test_a_reply_is_answered_201_when_the_broker_is_down():
    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    # A WhatsApp conversation: every public reply becomes an outbox row (its delivery).
    conversation = ConversationFactory(inbox=InboxFactory(team=team, kind="whatsapp"))
    token = Token.objects.create(user=agent)
    # Nothing listens on port 9: every publish fails.
    server = LiveServer(require_healthy=False, CELERY_BROKER_URL="redis://127.0.0.1:9/0")
    try:
        status, _ = _post(server, token, conversation, "on its way", "broker-down-1")
        assert status == 201
        # The resend the inbox would make if it had been told "error" returns the stored reply.
        status, _ = _post(server, token, conversation, "on its way", "broker-down-1")
        assert status == 200
    finally:
        server.stop()
    reply = Message.objects.get(conversation=conversation, sender="agent")
    assert reply.body == "on its way"
    item = OutboxItem.objects.get(message=reply, kind="deliver")
    assert item.status == OutboxItem.Status.PENDING
