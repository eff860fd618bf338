"""Every frame, event and webhook shape in conversations.payloads, checked against one really emitted.

Each test names what it covers with ``@covers``; the last test fails when a shape has no test."""

import json as _json
import types
import typing
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from conversations import payloads, serializers
from conversations.chat import identity
from conversations.connectors import api as api_connector
from conversations.inbox.services.actions import conversation_assign, conversation_transfer
from conversations.inbox.services.assignment import unassigned_alert_sweep
from conversations.inbox.services.snooze import conversation_snooze, snooze_sweep
from conversations.models import Conversation, Event, Message
from conversations.services.conversations import conversation_reopen
from conversations.services.delivery import message_delivery_set
from conversations.services.messages import conversation_create, conversation_mark_read
from helpdesk.asgi import application
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.helpers import message_create
from tests.live import session_cookie_for

COVERED: set[tuple[str, str]] = set()


def covers(kind: str, name: str):
    COVERED.add((kind, name))
    return lambda test: test


def assert_shape(value, expected, path="frame"):
    """``value`` has exactly the keys of the TypedDict ``expected`` (optional ones may be missing), each of its type."""
    if typing.is_typeddict(expected):
        assert isinstance(value, dict), f"{path}: {value!r} is not an object"
        keys = set(value)
        assert expected.__required_keys__ <= keys, f"{path}: missing {expected.__required_keys__ - keys}"
        extra = keys - expected.__required_keys__ - expected.__optional_keys__
        assert not extra, f"{path}: unexpected {extra}"
        hints = typing.get_type_hints(expected)
        for key, item in value.items():
            assert_shape(item, hints[key], f"{path}.{key}")
        return
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if expected is typing.Any:
        return
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in args:
            try:
                assert_shape(value, option, path)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{path}: {value!r} matches none of {args}: {errors}")
    if origin is typing.Literal:
        assert value in args, f"{path}: {value!r} not one of {args}"
        return
    if origin is list:
        assert isinstance(value, list), f"{path}: {value!r} is not a list"
        for index, item in enumerate(value):
            assert_shape(item, args[0], f"{path}[{index}]")
        return
    if expected is type(None):
        assert value is None, f"{path}: {value!r} is not null"
        return
    base = origin or expected
    if base is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an int"
        return
    assert isinstance(value, base), f"{path}: {value!r} is not a {base.__name__}"


def check_frame(frame: dict, frames: dict[str, type]) -> None:
    assert_shape(frame, frames[frame["type"]])


def check_event(event: Event) -> None:
    assert_shape(payloads.event_frame(event), payloads.EventFrame)
    assert_shape(event.payload, payloads.EVENTS[event.type], f"event {event.type}")


# --- Sockets -------------------------------------------------------------------------------------


async def receive_until(communicator, frame_type, timeout=5):
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame


def _agent_setup(availability=Agent.Availability.ONLINE):
    team = TeamFactory()
    agent = AgentFactory(availability=availability)
    team.members.add(agent)
    inbox = InboxFactory(team=team, kind="webchat")
    visitor = identity.visitor_create(inbox=inbox)
    conversation = ConversationFactory(inbox=inbox, customer=visitor.customer)
    message_create(conversation=conversation, sender="customer", body="hello")
    return agent, conversation, visitor, session_cookie_for(agent)


async def agent_socket(cookie):
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie.encode())]
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def customer_socket(inbox, cookie_value):
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"{identity.cookie_name(inbox)}={cookie_value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, f"/ws/chat/{inbox.slug}/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


@covers("agent", "hello")
@covers("agent", "presence")
@covers("agent", "pong")
@covers("agent", "error")
@covers("agent", "presence.ack")
@covers("agent", "read.ack")
@covers("agent", "typing")
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_agent_sockets_own_answers_match_their_shapes():
    _, conversation, _, cookie = await sync_to_async(_agent_setup)(Agent.Availability.OFFLINE)
    frames = payloads.AGENT_FRAMES
    communicator = await agent_socket(cookie)
    try:
        check_frame(await receive_until(communicator, "hello"), frames)
        check_frame(await receive_until(communicator, "presence"), frames)  # brought back online
        await communicator.send_json_to({"type": "ping", "ref": 7})
        check_frame(await receive_until(communicator, "pong"), frames)
        await communicator.send_json_to({"type": "nonsense", "ref": 8})
        error = await receive_until(communicator, "error")
        check_frame(error, frames)
        assert error["ref"] == 8
        await communicator.send_json_to({"type": "presence.heartbeat", "ref": 9})
        check_frame(await receive_until(communicator, "presence.ack"), frames)
        await communicator.send_json_to({"type": "presence.set", "availability": "away"})
        check_frame(await receive_until(communicator, "presence.ack"), frames)
        await communicator.send_json_to({"type": "read", "conversation_id": conversation.id, "seq": 1, "ref": 10})
        ack = await receive_until(communicator, "read.ack")
        check_frame(ack, frames)
        assert ack["agent_read_seq"] == 1
        await communicator.send_json_to({"type": "typing", "conversation_id": conversation.id, "is_typing": True})
        check_frame(await receive_until(communicator, "typing"), frames)
    finally:
        await communicator.disconnect()


@covers("agent", "event")
@covers("agent", "customer.typing")
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_events_and_customer_typing_reach_the_agent_in_their_shapes():
    _, conversation, visitor, cookie = await sync_to_async(_agent_setup)()
    frames = payloads.AGENT_FRAMES
    communicator = await agent_socket(cookie)
    customer = await customer_socket(conversation.inbox, identity.cookie_value(visitor))
    try:
        await receive_until(communicator, "hello")
        await sync_to_async(message_create)(conversation=conversation, sender="customer", body="live")
        event = await receive_until(communicator, "event")
        check_frame(event, frames)
        assert_shape(event["data"], payloads.EVENTS[event["event"]], "event data")
        await receive_until(customer, "hello")
        await customer.send_json_to({"type": "typing", "conversation_id": conversation.id, "is_typing": True})
        check_frame(await receive_until(communicator, "customer.typing"), frames)
    finally:
        await customer.disconnect()
        await communicator.disconnect()


@covers("customer", "hello")
@covers("customer", "ack")
@covers("customer", "conversation")
@covers("customer", "error")
@covers("customer", "pong")
@covers("customer", "read.ack")
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_customer_sockets_own_answers_match_their_shapes():
    def setup():
        inbox = InboxFactory(kind="webchat")
        inbox.team.members.add(AgentFactory())
        return inbox, identity.visitor_create(inbox=inbox)

    inbox, visitor = await sync_to_async(setup)()
    frames = payloads.CUSTOMER_FRAMES
    communicator = await customer_socket(inbox, identity.cookie_value(visitor))
    try:
        check_frame(await receive_until(communicator, "hello"), frames)
        await communicator.send_json_to({"type": "message", "client_id": "c-1", "body": "hi", "ref": 1})
        ack = await receive_until(communicator, "ack")
        check_frame(ack, frames)
        # The first message started a conversation: every tab of the visitor hears of it.
        check_frame(await receive_until(communicator, "conversation"), frames)
        await communicator.send_json_to({"type": "message", "client_id": "c-2", "body": " ", "ref": 2})
        refused = await receive_until(communicator, "error")
        check_frame(refused, frames)
        assert refused["client_id"] == "c-2"
        await communicator.send_json_to({"type": "ping"})
        check_frame(await receive_until(communicator, "pong"), frames)
        await communicator.send_json_to({"type": "read", "conversation_id": ack["conversation"]["id"], "seq": 1})
        read = await receive_until(communicator, "read.ack")
        check_frame(read, frames)
        assert read["seq"] == 1
    finally:
        await communicator.disconnect()


@covers("customer", "message")
@covers("customer", "typing")
@covers("customer", "read")
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_what_agents_do_reaches_the_customer_in_its_shapes():
    agent, conversation, visitor, cookie = await sync_to_async(_agent_setup)()
    frames = payloads.CUSTOMER_FRAMES
    customer = await customer_socket(conversation.inbox, identity.cookie_value(visitor))
    agents = await agent_socket(cookie)
    try:
        await receive_until(customer, "hello")
        await receive_until(agents, "hello")
        # Read first: an agent's reply moves their read cursor past everything before it.
        await sync_to_async(conversation_mark_read)(conversation=conversation, seq=1, by_customer=False)
        check_frame(await receive_until(customer, "read"), frames)
        await sync_to_async(message_create)(conversation=conversation, sender="agent", author=agent, body="Hi!")
        check_frame(await receive_until(customer, "message"), frames)
        await agents.send_json_to({"type": "typing", "conversation_id": conversation.id, "is_typing": True})
        check_frame(await receive_until(customer, "typing"), frames)
    finally:
        await agents.disconnect()
        await customer.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_refused_identity_is_told_in_the_error_shape():
    inbox = await sync_to_async(InboxFactory)(kind="webchat")
    communicator = await customer_socket(inbox, "forged:cookie")
    try:
        error = await receive_until(communicator, "error")
        check_frame(error, payloads.CUSTOMER_FRAMES)
        assert error["code"] == "identity_invalid"
    finally:
        await communicator.disconnect()


# --- The events log ------------------------------------------------------------------------------


def _logged(event_type: str) -> Event:
    event = Event.objects.filter(type=event_type).order_by("-seq").first()
    assert event is not None, f"no {event_type} event was logged"
    return event


@covers("event", payloads.CONVERSATION_CREATED)
@covers("event", payloads.MESSAGE_CREATED)
@covers("event", payloads.CONVERSATION_READ)
@covers("event", payloads.CONVERSATION_UPDATED)
@covers("event", payloads.CONVERSATION_REOPENED)
@pytest.mark.django_db
def test_conversation_events_are_logged_in_their_shapes():
    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    conversation = conversation_create(inbox=InboxFactory(team=team), customer=CustomerFactory())
    message_create(conversation=conversation, sender="customer", body="hello")
    conversation_mark_read(conversation=conversation, seq=1, by_customer=False)
    conversation_assign(conversation=conversation, actor=agent, assignee=agent)
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.RESOLVED)
    conversation_reopen(conversation=conversation)
    for event_type in (
        payloads.CONVERSATION_CREATED,
        payloads.MESSAGE_CREATED,
        payloads.CONVERSATION_READ,
        payloads.CONVERSATION_UPDATED,
        payloads.CONVERSATION_REOPENED,
    ):
        check_event(_logged(event_type))


@pytest.mark.django_db
def test_a_team_less_conversation_gaining_a_team_tells_everyone_with_its_id():
    team = TeamFactory()
    agent = AgentFactory(is_staff=True)
    conversation = ConversationFactory(inbox=InboxFactory(team=None), team=None)
    conversation_transfer(conversation=conversation, actor=agent, team=team, assignee=None)
    announced = Event.objects.filter(type=payloads.CONVERSATION_UPDATED, team_id__isnull=True).get()
    check_event(announced)
    assert announced.payload["conversation_id"] == conversation.id


@covers("event", payloads.MESSAGE_STATUS)
@pytest.mark.django_db
def test_a_delivery_status_is_logged_in_its_shape():
    agent = AgentFactory()
    conversation = ConversationFactory()
    message, _ = message_create(conversation=conversation, sender="agent", author=agent, body="Hi")
    Message.objects.filter(pk=message.pk).update(delivery_status=Message.Delivery.PENDING)
    assert message_delivery_set(message=message, status=Message.Delivery.FAILED, error="no such number")
    check_event(_logged(payloads.MESSAGE_STATUS))


@covers("event", payloads.MENTION)
@pytest.mark.django_db
def test_a_mention_is_logged_in_its_shape():
    team = TeamFactory()
    ana, ben = AgentFactory(username="ana"), AgentFactory(username="ben")
    team.members.add(ana, ben)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))
    message_create(conversation=conversation, sender="agent", author=ana, body="@ben look", is_private=True)
    check_event(_logged(payloads.MENTION))


@covers("event", payloads.UNASSIGNED_ALERT)
@pytest.mark.django_db
def test_the_unassigned_alert_is_logged_in_its_shape():
    team = TeamFactory(unassigned_alert_minutes=10)
    now = timezone.now()
    ConversationFactory(inbox=InboxFactory(team=team), waiting_since=now - timedelta(minutes=11))
    assert unassigned_alert_sweep(now=now) == 1
    check_event(_logged(payloads.UNASSIGNED_ALERT))


@covers("event", payloads.SNOOZE_ENDED)
@pytest.mark.django_db
def test_the_end_of_a_snooze_is_logged_in_its_shape():
    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    conversation = ConversationFactory(inbox=InboxFactory(team=team), team=team, assignee=agent)
    conversation_snooze(conversation=conversation, actor=agent, until=timezone.now() + timedelta(minutes=5))
    assert snooze_sweep(now=timezone.now() + timedelta(hours=1)) == 1
    check_event(_logged(payloads.SNOOZE_ENDED))


# --- The API channel's webhook -------------------------------------------------------------------


@covers("webhook", "message.created")
@pytest.mark.django_db
def test_the_api_channel_webhook_carries_its_shape(monkeypatch):
    sent = []

    def post(url, *, json=None, data=None, headers=None):
        sent.append(json if json is not None else _json.loads(data))

    monkeypatch.setattr(api_connector, "post", post)
    inbox = InboxFactory(kind="api", settings={"webhook_url": "https://company.example/hook"})
    conversation = ConversationFactory(inbox=inbox)
    agent = AgentFactory()
    message, _ = message_create(conversation=conversation, sender="agent", author=agent, body="Hello")
    api_connector.ApiConnector(inbox).send(conversation=conversation, message=message)
    assert_shape(sent[-1], payloads.WEBHOOKS["message.created"], "webhook")


# --- Coverage and the serializers that document the shapes ---------------------------------------


def test_every_shape_in_the_module_has_a_test():
    declared = {("agent", name) for name in payloads.AGENT_FRAMES}
    declared |= {("customer", name) for name in payloads.CUSTOMER_FRAMES}
    declared |= {("event", name) for name in payloads.EVENTS}
    declared |= {("webhook", name) for name in payloads.WEBHOOKS}
    assert declared - COVERED == set(), "shapes without a test"
    assert COVERED - declared == set(), "tests of shapes the module does not declare"


@pytest.mark.parametrize(
    ("serializer", "shape"),
    [
        (serializers.ConversationOut, payloads.ConversationPayload),
        (serializers.MessageOut, payloads.MessagePayload),
        (serializers.EventOut, payloads.EventFrame),
        (serializers.AvailabilityOut, payloads.AvailabilityPayload),
    ],
)
def test_the_serializers_document_exactly_the_payload_fields(serializer, shape):
    assert set(serializer().fields) == set(typing.get_type_hints(shape))
