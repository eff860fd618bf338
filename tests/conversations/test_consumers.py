"""The agent socket: heartbeat and presence, typing, read receipts, and refusing what it must."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from conversations import realtime
from conversations.inbox.services.presence import agent_presence_is_alive, agent_presence_set
from conversations.models import Conversation
from helpdesk.asgi import application
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.helpers import message_create
from tests.live import session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _setup(availability=Agent.Availability.ONLINE):
    team = TeamFactory()
    agent = AgentFactory(availability=availability)
    team.members.add(agent)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))
    for body in ("one", "two", "three"):
        message_create(conversation=conversation, sender="customer", body=body)
    return agent, conversation, session_cookie_for(agent)


async def connect(cookie):
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie.encode())]
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return communicator


async def receive_until(communicator, frame_type, timeout=5):
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame


async def test_connecting_brings_an_offline_agent_online_and_keeps_them_alive():
    agent, _, cookie = await sync_to_async(_setup)(Agent.Availability.OFFLINE)
    communicator = await connect(cookie)
    try:
        presence = await receive_until(communicator, "presence")
        assert presence["agent"]["id"] == agent.id and presence["availability"] == "online"
        assert await sync_to_async(agent_presence_is_alive)(agent_id=agent.id)
    finally:
        await communicator.disconnect()


async def test_a_heartbeat_refreshes_the_ttl_and_reports_the_current_presence():
    agent, _, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        await sync_to_async(Agent.objects.filter(pk=agent.pk).update)(presence_seen_at=None)
        await communicator.send_json_to({"type": "presence.heartbeat", "ref": 1})
        ack = await receive_until(communicator, "presence.ack")
        assert ack["availability"] == "online" and ack["ref"] == 1 and ack["ttl_seconds"] > 0
        assert await sync_to_async(agent_presence_is_alive)(agent_id=agent.id)
    finally:
        await communicator.disconnect()


async def test_a_heartbeat_brings_back_an_agent_the_sweep_turned_offline_but_not_one_who_chose_it():
    agent, _, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        # Swept offline while the socket stayed open (the sweep ran before the heartbeat came).
        await sync_to_async(agent_presence_set)(agent=agent, availability="offline", by_agent=False)
        await communicator.send_json_to({"type": "presence.heartbeat", "ref": 2})
        ack = await receive_until(communicator, "presence.ack")
        assert ack["availability"] == "online"
        # Chosen by the agent: the heartbeat keeps them alive but offline.
        await sync_to_async(agent_presence_set)(agent=agent, availability="offline")
        await communicator.send_json_to({"type": "presence.heartbeat", "ref": 3})
        ack = await receive_until(communicator, "presence.ack")
        assert ack["availability"] == "offline"
    finally:
        await communicator.disconnect()


async def test_an_agent_sets_themselves_away_and_an_unknown_state_is_refused():
    agent, _, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        await communicator.send_json_to({"type": "presence.set", "availability": "away"})
        ack = await receive_until(communicator, "presence.ack")
        assert ack["availability"] == "away"
        stored = await sync_to_async(lambda: Agent.objects.get(pk=agent.pk).availability)()
        assert stored == "away"
        await communicator.send_json_to({"type": "presence.set", "availability": "napping", "ref": "x"})
        error = await receive_until(communicator, "error")
        assert error["code"] == "invalid" and error["ref"] == "x"
    finally:
        await communicator.disconnect()


async def test_typing_reaches_the_customer_but_typing_a_note_does_not():
    agent, conversation, cookie = await sync_to_async(_setup)()
    layer = get_channel_layer()
    customer_channel = await layer.new_channel()
    await layer.group_add(realtime.conversation_customer_group(conversation.id), customer_channel)
    communicator = await connect(cookie)
    try:
        await communicator.send_json_to(
            {"type": "typing", "conversation_id": conversation.id, "is_typing": True, "private": True}
        )
        own = await receive_until(communicator, "typing")
        assert own["private"] is True and own["agent"]["id"] == agent.id
        await communicator.send_json_to({"type": "typing", "conversation_id": conversation.id, "is_typing": True})
        await receive_until(communicator, "typing")
        heard = await layer.receive(customer_channel)
        # The first frame the customer hears is the public one: the note's typing never reached them.
        assert heard["frame"] == {"type": "typing", "by": "agent", "is_typing": True}
    finally:
        await communicator.disconnect()
        await layer.group_discard(realtime.conversation_customer_group(conversation.id), customer_channel)


async def test_reading_moves_the_agents_read_cursor():
    _, conversation, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        await communicator.send_json_to({"type": "read", "conversation_id": conversation.id, "seq": 2})
        ack = await receive_until(communicator, "read.ack")
        assert ack["agent_read_seq"] == 2
        stored = await sync_to_async(lambda: Conversation.objects.get(pk=conversation.pk).agent_read_seq)()
        assert stored == 2
    finally:
        await communicator.disconnect()


async def test_an_agent_cannot_type_or_read_in_another_teams_conversation():
    _, _, cookie = await sync_to_async(_setup)()
    foreign = await sync_to_async(lambda: ConversationFactory(inbox=InboxFactory(team=TeamFactory())))()
    communicator = await connect(cookie)
    try:
        for frame in (
            {"type": "typing", "conversation_id": foreign.id, "is_typing": True},
            {"type": "read", "conversation_id": foreign.id, "seq": 1},
        ):
            await communicator.send_json_to(frame)
            error = await receive_until(communicator, "error")
            assert error["code"] == "not_found"
        await communicator.send_json_to({"type": "read", "conversation_id": "1; drop", "seq": 1})
        error = await receive_until(communicator, "error")
        assert error["code"] == "invalid"
    finally:
        await communicator.disconnect()


async def test_an_agent_hears_events_of_their_team_live():
    agent, conversation, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        await sync_to_async(message_create)(conversation=conversation, sender="customer", body="live one")
        frame = await receive_until(communicator, "event")
        assert frame["event"] == "message.created" and frame["data"]["message"]["body"] == "live one"
    finally:
        await communicator.disconnect()


async def test_an_event_heard_through_the_team_and_the_agents_own_group_reaches_the_socket_once():
    agent, conversation, cookie = await sync_to_async(_setup)()
    # The assignee is in the team's group and in their own: each event is addressed to both.
    await sync_to_async(Conversation.objects.filter(pk=conversation.pk).update)(assignee=agent)
    communicator = await connect(cookie)
    try:
        for body in ("first", "second", "last"):
            await sync_to_async(message_create)(conversation=conversation, sender="customer", body=body)
        heard = []
        while True:
            frame = await receive_until(communicator, "event")
            heard.append((frame["seq"], frame["data"]["message"]["body"]))
            if frame["data"]["message"]["body"] == "last":
                break
        assert [body for _, body in heard] == ["first", "second", "last"]
        assert len({seq for seq, _ in heard}) == 3
    finally:
        await communicator.disconnect()


async def test_a_deactivated_agent_is_dropped_and_their_frames_are_not_acted_on(settings):
    agent, conversation, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        await sync_to_async(Agent.objects.filter(pk=agent.pk).update)(is_active=False)
        # The next frame is not acted on: the read position does not move, the socket closes.
        await communicator.send_json_to({"type": "read", "conversation_id": conversation.id, "seq": 3, "ref": 9})
        while True:
            output = await communicator.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                break
            assert '"read.ack"' not in output.get("text", "")
        assert output["code"] == 4401
        assert (await sync_to_async(Conversation.objects.get)(pk=conversation.pk)).agent_read_seq == 0
    finally:
        await communicator.disconnect()


async def test_a_deactivated_agent_who_sends_nothing_is_dropped_within_seconds(settings):
    settings.AGENT_RECHECK_SECONDS = 1
    agent, _, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        await sync_to_async(Agent.objects.filter(pk=agent.pk).update)(is_active=False)
        while True:
            output = await communicator.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                break
        assert output["code"] == 4401
    finally:
        await communicator.disconnect()


async def test_an_agent_removed_from_a_team_stops_hearing_it(settings):
    settings.AGENT_RECHECK_SECONDS = 1
    agent, conversation, cookie = await sync_to_async(_setup)()
    communicator = await connect(cookie)
    try:
        team = await sync_to_async(lambda: conversation.inbox.team)()
        await sync_to_async(team.members.remove)(agent)
        await communicator.send_json_to({"type": "ping", "ref": "after"})  # a frame: the groups are checked again
        assert (await receive_until(communicator, "pong"))["ref"] == "after"
        layer = get_channel_layer()
        await layer.group_send(realtime.team_group(team.id), {"type": "agent.frame", "frame": {"type": "probe"}})
        assert await communicator.receive_nothing(timeout=1.5)
    finally:
        await communicator.disconnect()


async def test_a_flood_of_typing_frames_is_thinned_and_a_huge_ref_is_refused():
    agent, conversation, cookie = await sync_to_async(_setup)()
    layer = get_channel_layer()
    customer_channel = await layer.new_channel()
    await layer.group_add(realtime.conversation_customer_group(conversation.id), customer_channel)
    communicator = await connect(cookie)
    try:
        for _ in range(20):
            await communicator.send_json_to({"type": "typing", "conversation_id": conversation.id, "is_typing": True})
        await communicator.send_json_to({"type": "typing", "conversation_id": conversation.id, "is_typing": False})
        await communicator.send_json_to({"type": "ping", "ref": "x" * 900_000})
        error = await receive_until(communicator, "error")
        assert error["code"] == "invalid_ref" and error.get("ref") is None
        heard = []
        while True:
            try:
                heard.append((await asyncio.wait_for(layer.receive(customer_channel), timeout=1))["frame"])
            except TimeoutError:
                break
        # Twenty "typing" frames in a second reach the customer once; the stop always passes.
        assert [frame["is_typing"] for frame in heard] == [True, False]
    finally:
        await communicator.disconnect()
        await layer.group_discard(realtime.conversation_customer_group(conversation.id), customer_channel)
