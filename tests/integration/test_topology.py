"""The real topology: two daphne processes and a Celery worker sharing the database and Redis.

A websocket held by daphne A hears a message created through daphne B (the Redis channel layer carries it),
and the worker delivers the reply over the inbox's channel through the outbox.
"""

import hashlib
import hmac
import json

import pytest
from rest_framework.authtoken.models import Token
from websockets.sync.client import connect

from conversations.models import Message
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.fakes import FakeServer
from tests.live import CeleryWorker, LiveServer, session_cookie_for, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def topology():
    processes = []
    try:
        a, b = LiveServer(), LiveServer()
        processes += [a, b]
        worker = CeleryWorker()
        processes.append(worker)
        yield a, b, worker
    finally:
        for process in processes:
            process.stop()


def test_a_socket_on_one_daphne_hears_a_message_sent_through_another(topology):
    server_a, server_b, _ = topology
    team = TeamFactory()
    watcher, writer = AgentFactory(), AgentFactory()
    team.members.add(watcher, writer)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))
    token = Token.objects.create(user=writer)

    with connect(
        f"{server_a.ws_url}/ws/agent/",
        additional_headers={"Cookie": session_cookie_for(watcher), "Origin": server_a.url},
        open_timeout=10,
    ) as socket:
        hello = json.loads(socket.recv(timeout=10))
        assert hello["type"] == "hello"

        import urllib.request

        request = urllib.request.Request(
            f"{server_b.url}/api/v1/conversations/{conversation.id}/messages/",
            data=json.dumps({"body": "sent through B", "client_id": "topology-1"}).encode(),
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201

        while True:
            frame = json.loads(socket.recv(timeout=10))
            if frame["type"] == "event" and frame["event"] == "message.created":
                break
        assert frame["data"]["message"]["body"] == "sent through B"
        assert frame["conversation_id"] == conversation.id


def test_the_worker_delivers_a_reply_over_the_channel_exactly_once(topology):
    server_a, _, _ = topology
    sink = FakeServer()
    try:
        team = TeamFactory()
        agent = AgentFactory()
        team.members.add(agent)
        inbox = InboxFactory(team=team, kind="api", settings={"webhook_url": sink.url + "/hook"})
        conversation = ConversationFactory(inbox=inbox)
        token = Token.objects.create(user=agent)

        import urllib.request

        request = urllib.request.Request(
            f"{server_a.url}/api/v1/conversations/{conversation.id}/messages/",
            data=json.dumps({"body": "delivered by the worker"}).encode(),
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()

        message = Message.objects.get(conversation=conversation)
        wait_for(
            lambda: Message.objects.get(pk=message.pk).delivery_status == Message.Delivery.SENT,
            message="the worker to deliver",
        )
        assert len(sink.requests) == 1
        headers, body = sink.requests[0]["headers"], sink.requests[0]["raw"]
        expected = "sha256=" + hmac.new(inbox.secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Helpdesk-Signature"] == expected
        assert json.loads(body)["message"]["body"] == "delivered by the worker"
    finally:
        sink.close()
