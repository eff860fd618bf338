"""One lock order (customer, then conversation) on every path that writes a message: no deadlocks.

An agent's reply used to lock the conversation and then, at COMMIT, the deferred foreign-key checks took
a share lock on the customer row, while a customer's message held the customer row and waited for the
conversation: the two deadlocked about one race in three.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from conversations import messaging
from conversations.models import Message
from tests.factories import AgentFactory, ConversationFactory, TeamFactory
from tests.services import need_postgres

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROUNDS = 30


def test_agent_replies_racing_customer_messages_never_deadlock():
    need_postgres()
    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    failures: list[BaseException] = []

    def run(barrier, fn):
        try:
            barrier.wait(timeout=10)
            fn()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)
        finally:
            connection.close()

    for round_ in range(ROUNDS):
        # A fresh conversation each round: the agent's reply is its first one (the deadlocking case).
        conversation = ConversationFactory(inbox__team=team)
        barrier = threading.Barrier(2)

        def customer_writes(conversation=conversation, round_=round_):
            messaging.customer_message_receive(
                inbox=conversation.inbox, customer=conversation.customer, body="hello?", client_id=f"c{round_}"
            )

        def agent_replies(conversation=conversation, round_=round_):
            messaging.agent_message_send(conversation=conversation, author=agent, body="hi", client_id=f"a{round_}")

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda fn, barrier=barrier: run(barrier, fn), [customer_writes, agent_replies]))

    assert failures == []
    assert Message.objects.filter(sender="customer").count() == ROUNDS
    assert Message.objects.filter(sender="agent").count() == ROUNDS
