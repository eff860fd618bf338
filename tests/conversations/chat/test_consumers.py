import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from conversations import realtime
from conversations.chat import identity
from conversations.models import Conversation
from conversations.services.messages import conversation_mark_read
from helpdesk.asgi import application
from tests.factories import AgentFactory, InboxFactory
from tests.helpers import message_create
from tests.hours.policies import never_open

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup():
    inbox = InboxFactory(kind="webchat")
    inbox.team.members.add(AgentFactory())
    visitor = identity.visitor_create(inbox=inbox)
    return inbox, visitor


async def _connect(inbox, cookie: str | None, origin: str = "http://testserver"):
    headers = [(b"origin", origin.encode()), (b"host", b"testserver")]
    if cookie is not None:
        headers.append((b"cookie", f"{identity.cookie_name(inbox)}={cookie}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/chat/{inbox.slug}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _until(communicator, frame_type: str, timeout: float = 5):
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame


async def test_a_socket_without_a_valid_cookie_is_told_why_and_closed():
    inbox, visitor = await sync_to_async(_setup)()
    communicator, connected, _ = await _connect(inbox, "forged:cookie")
    assert connected
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "error" and frame["code"] == "identity_invalid"
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    await communicator.disconnect()


async def test_a_socket_from_a_foreign_origin_is_refused():
    inbox, visitor = await sync_to_async(_setup)()
    communicator, connected, _ = await _connect(inbox, identity.cookie_value(visitor), origin="https://evil.example")
    assert not connected
    await communicator.disconnect()


async def test_a_message_is_acked_with_its_seq_and_a_resend_is_not_doubled():
    inbox, visitor = await sync_to_async(_setup)()
    communicator, connected, _ = await _connect(inbox, identity.cookie_value(visitor))
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello == {"type": "hello", "conversations": []}
    frame = {"type": "message", "client_id": "c-1", "body": "hello", "ref": 1, "context": {"time_zone": "Europe/Paris"}}
    await communicator.send_json_to(frame)
    ack = await _until(communicator, "ack")
    assert ack["client_id"] == "c-1" and ack["ref"] == 1 and ack["duplicate"] is False
    await communicator.send_json_to(frame)
    again = await _until(communicator, "ack")
    assert again["seq"] == ack["seq"] and again["duplicate"] is True
    count = await sync_to_async(lambda: Conversation.objects.get().messages.filter(sender="customer").count())()
    assert count == 1
    await communicator.disconnect()


async def test_public_replies_and_agent_reads_reach_the_customer_but_private_notes_do_not():
    inbox, visitor = await sync_to_async(_setup)()
    communicator, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_id": "c-1", "body": "hi"})
    ack = await _until(communicator, "ack")
    conversation_id = ack["conversation"]["id"]

    def agent_writes():
        conversation = Conversation.objects.get(pk=conversation_id)
        agent = AgentFactory()
        conversation_mark_read(conversation=conversation, seq=ack["seq"], by_customer=False)
        message_create(conversation=conversation, sender="agent", author=agent, body="internal", is_private=True)
        reply, _ = message_create(conversation=conversation, sender="agent", author=agent, body="public answer")
        return reply

    reply = await sync_to_async(agent_writes)()
    seen = []
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        seen.append(frame)
        if frame.get("message", {}).get("body") == "public answer":
            break
    bodies = [f["message"]["body"] for f in seen if f["type"] == "message"]
    assert "public answer" in bodies and "internal" not in bodies
    assert all("is_private" not in f.get("message", {}) for f in seen)
    message = next(f["message"] for f in seen if f["type"] == "message" and f["message"]["body"] == "public answer")
    assert message["seq"] == reply.seq
    assert {"type": "read", "by": "agent", "seq": ack["seq"]} in seen
    await communicator.disconnect()


async def test_customer_typing_reaches_the_conversations_agents():
    inbox, visitor = await sync_to_async(_setup)()
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(realtime.team_group(inbox.team_id), listener)
    communicator, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_id": "c-1", "body": "hi"})
    ack = await _until(communicator, "ack")
    await communicator.send_json_to({"type": "typing", "conversation_id": ack["conversation"]["id"], "is_typing": True})
    while True:
        received = await asyncio.wait_for(layer.receive(listener), timeout=5)
        if received["frame"].get("type") == "customer.typing":
            break
    assert received["frame"] == {
        "type": "customer.typing",
        "conversation_id": ack["conversation"]["id"],
        "is_typing": True,
    }
    await layer.group_discard(realtime.team_group(inbox.team_id), listener)
    await communicator.disconnect()


async def test_typing_in_someone_elses_conversation_is_refused():
    inbox, visitor = await sync_to_async(_setup)()
    other = await sync_to_async(lambda: identity.visitor_create(inbox=inbox))()
    communicator, _, _ = await _connect(inbox, identity.cookie_value(other))
    await communicator.receive_json_from(timeout=5)
    first, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await first.receive_json_from(timeout=5)
    await first.send_json_to({"type": "message", "client_id": "c-1", "body": "mine"})
    ack = await _until(first, "ack")
    await communicator.send_json_to({"type": "typing", "conversation_id": ack["conversation"]["id"], "ref": 9})
    error = await _until(communicator, "error")
    assert error["code"] == "not_found" and error["ref"] == 9
    await first.disconnect()
    await communicator.disconnect()


async def test_a_read_frame_moves_the_customer_read_cursor():
    inbox, visitor = await sync_to_async(_setup)()
    communicator, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_id": "c-1", "body": "hi"})
    ack = await _until(communicator, "ack")
    conversation_id = ack["conversation"]["id"]
    reply = await sync_to_async(
        lambda: message_create(
            conversation=Conversation.objects.get(pk=conversation_id), sender="agent", author=AgentFactory(), body="r"
        )[0]
    )()
    await communicator.send_json_to({"type": "read", "conversation_id": conversation_id, "seq": reply.seq})
    done = await _until(communicator, "read.ack")
    assert done["seq"] == reply.seq
    stored = await sync_to_async(lambda: Conversation.objects.get(pk=conversation_id).customer_read_seq)()
    assert stored == reply.seq
    await communicator.disconnect()


async def test_a_flood_of_messages_is_refused_with_a_retry_after(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "visitor_message": "1/min"},
    }
    inbox, visitor = await sync_to_async(_setup)()
    communicator, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_id": "c-1", "body": "one"})
    await _until(communicator, "ack")
    await communicator.send_json_to({"type": "message", "client_id": "c-2", "body": "two"})
    error = await _until(communicator, "error")
    assert error["code"] == "rate_limited" and error["client_id"] == "c-2" and error["retry_after"] >= 1
    await communicator.disconnect()


async def test_an_unknown_frame_is_answered_in_band():
    inbox, visitor = await sync_to_async(_setup)()
    communicator, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "launch.rockets"})
    error = await _until(communicator, "error")
    assert error["code"] == "unknown_type"
    await communicator.send_json_to({"type": "ping", "ref": "p"})
    assert (await _until(communicator, "pong"))["ref"] == "p"
    await communicator.disconnect()


async def test_a_conversation_started_in_one_tab_is_followed_by_the_others():
    inbox, visitor = await sync_to_async(_setup)()
    first, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    second, _, _ = await _connect(inbox, identity.cookie_value(visitor))
    await first.receive_json_from(timeout=5)
    await second.receive_json_from(timeout=5)
    await first.send_json_to({"type": "message", "client_id": "c-1", "body": "from tab one"})
    ack = await _until(first, "ack")
    started = await _until(second, "conversation")
    assert started["conversation"]["id"] == ack["conversation"]["id"]
    await first.send_json_to({"type": "message", "client_id": "c-2", "body": "second message"})
    while True:
        frame = await _until(second, "message")
        if frame["message"]["body"] == "second message":
            break
    assert frame["message"]["client_id"] == "c-2"
    await first.disconnect()
    await second.disconnect()


async def test_an_away_reply_published_before_the_socket_followed_its_new_conversation_still_arrives():
    # Tasks run inline here: the away reply is written and published right after the first message
    # commits, before the socket has joined the new conversation's group (the race the worker can win).
    def closed_inbox():
        inbox, visitor = _setup()
        inbox.team.business_hours_policy = never_open()
        inbox.team.save()
        return inbox, visitor

    inbox, visitor = await sync_to_async(closed_inbox)()
    communicator, connected, _ = await _connect(inbox, identity.cookie_value(visitor))
    assert connected
    await _until(communicator, "hello")
    await communicator.send_json_to({"type": "message", "body": "Anyone?", "client_id": "first"})
    ack = await _until(communicator, "ack")
    reply = await _until(communicator, "message")
    assert reply["message"]["seq"] > ack["seq"]
    assert reply["message"]["sender"] == "system"
    await communicator.disconnect()
