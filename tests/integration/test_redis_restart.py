"""The worker and daphne survive a Redis restart and go on working; open sockets hear what follows.

The worker survives a Redis restart while a delayed intent is pending.

Celery's Redis transport died for good on reconnect when the worker held a task with an eta (every
e-mail fallback made one). Delayed intents are now left to the outbox sweep, so the worker holds none.
"""

import json
import time
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token
from websockets.sync.client import connect

from conversations.models import Event, Message, OutboxItem
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.fakes import FakeServer
from tests.live import CeleryWorker, LiveServer, RedisServer, agent_message_post, session_cookie_for, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _reply(server, token, conversation, body):
    status, _ = agent_message_post(server, token.key, conversation.id, body)
    assert status == 201


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


def test_a_daphne_and_its_open_sockets_go_on_after_a_redis_restart(tmp_path):
    team = TeamFactory()
    watcher, writer = AgentFactory(), AgentFactory()
    team.members.add(watcher, writer)
    token = Token.objects.create(user=writer)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))

    redis_server = RedisServer(tmp_path / "redis")
    processes = [redis_server]
    try:
        server = LiveServer(REDIS_URL=redis_server.url)
        processes.append(server)
        with connect(
            f"{server.ws_url}/ws/agent/",
            additional_headers={"Cookie": session_cookie_for(watcher), "Origin": server.url},
            open_timeout=10,
        ) as socket:
            assert json.loads(socket.recv(timeout=10))["type"] == "hello"

            redis_server = redis_server.restart(down_for=2)
            processes.append(redis_server)

            # The reply is written and answered even while the channel layer reconnects…
            deadline = time.monotonic() + 20
            while True:
                try:
                    _reply(server, token, conversation, "after the restart")
                    break
                except (urllib.error.URLError, AssertionError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            written = Event.objects.filter(type="message.created").latest("seq").seq
            # …and the socket that stayed open learns of it: live if its subscription was back in time
            # (pub/sub drops what is published while a subscriber reconnects), else from its next
            # heartbeat's answer, which names the newest event in the log so the page catches up.
            socket.send(json.dumps({"type": "presence.heartbeat", "ref": "after"}))
            learned = False
            deadline = time.monotonic() + 20
            while not learned and time.monotonic() < deadline:
                frame = json.loads(socket.recv(timeout=20))
                if frame["type"] == "event" and frame["seq"] == written:
                    learned = True
                if frame["type"] == "presence.ack" and frame["ref"] == "after":
                    learned = frame["event_seq"] >= written
                    break
            assert learned
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
            assert response.status == 200
        assert server.proc.poll() is None
    finally:
        for process in reversed(processes):
            process.stop()
