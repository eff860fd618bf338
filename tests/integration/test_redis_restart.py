"""The worker survives a Redis restart while a delayed intent is pending, and goes on working.

Celery's Redis transport died for good on reconnect when the worker held a task with an eta (every
e-mail fallback made one). Delayed intents are now left to the outbox sweep, so the worker holds none.
"""

import json
import time
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from conversations.models import Message, OutboxItem
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.fakes import FakeServer
from tests.live import CeleryWorker, LiveServer, RedisServer, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _reply(server, token, conversation, body):
    request = urllib.request.Request(
        f"{server.url}/api/v1/conversations/{conversation.id}/messages/",
        data=json.dumps({"body": body}).encode(),
        headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 201


def test_the_worker_outlives_a_redis_restart_with_an_email_fallback_pending(tmp_path):
    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    token = Token.objects.create(user=agent)
    # A web-chat customer with an address: a reply schedules an e-mail for later (a delayed intent).
    chat = ConversationFactory(inbox=InboxFactory(team=team), customer=CustomerFactory(email="ada@example.com"))
    sink = FakeServer()
    api = ConversationFactory(inbox=InboxFactory(team=team, kind="api", settings={"webhook_url": sink.url + "/hook"}))

    redis_server = RedisServer(tmp_path / "redis")
    processes = [redis_server]
    try:
        server = LiveServer(REDIS_URL=redis_server.url)
        worker = CeleryWorker(REDIS_URL=redis_server.url)
        processes += [server, worker]

        _reply(server, token, chat, "we will e-mail this if you are gone")
        assert OutboxItem.objects.get(conversation=chat, kind="email_fallback").status == "pending"
        time.sleep(2)  # the worker would have received a delayed task by now

        redis_server = redis_server.restart(down_for=2)
        processes.append(redis_server)
        time.sleep(8)  # the worker notices, reconnects (or, before the fix, exits)
        assert worker.proc.poll() is None, worker.output()

        # And it still works: a reply on the API channel is delivered by the same worker.
        _reply(server, token, api, "after the restart")
        message = Message.objects.get(conversation=api, sender="agent")
        wait_for(
            lambda: Message.objects.get(pk=message.pk).delivery_status == Message.Delivery.SENT,
            timeout=30,
            message="the worker to deliver after the restart",
        )
        assert len(sink.requests) == 1
        assert worker.proc.poll() is None
    finally:
        for process in reversed(processes):
            process.stop()
        sink.close()
