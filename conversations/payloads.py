"""Every websocket frame, agents' event and shared JSON shape, each declared once and built by one function.

See docs/protocol.md. Two views of a conversation and of a message exist on purpose: the customer's
leaves out what is the agents' business (assignee, team, labels, priority, private notes and their
previews, read-state of the team, message metadata). Everything else has one shape.
"""

from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from django.conf import settings

from conversations.models import Conversation, Event, Inbox, Message
from conversations.selectors.availability import Availability, format_next_open
from conversations.selectors.core import conversation_view_get

# --- Shared pieces -------------------------------------------------------------------------------


class Person(TypedDict):
    id: int
    name: str


class CustomerRef(TypedDict):
    id: int
    name: str
    email: str


class InboxRef(TypedDict):
    id: int
    name: str
    kind: str


class LabelRef(TypedDict):
    id: int
    name: str
    color: str


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_payload(agent) -> Person | None:
    return {"id": agent.id, "name": agent.name} if agent is not None else None


# --- Messages ------------------------------------------------------------------------------------


class MessagePayload(TypedDict):
    """A message as agents see it (sockets, events, the REST log)."""

    id: int
    conversation_id: int
    seq: int
    sender: str
    author: Person | None
    body: str
    event: str
    client_id: str | None
    delivery_status: str
    created_at: str
    is_private: bool
    meta: dict


class CustomerAuthor(TypedDict):
    name: str


class CustomerMessagePayload(TypedDict):
    """A public message as the customer sees it: agents are named, not numbered; no notes, no metadata."""

    id: int
    conversation_id: int
    seq: int
    sender: str
    author: CustomerAuthor | None
    body: str
    event: str
    client_id: str | None
    delivery_status: str
    created_at: str


def message_payload(message: Message, *, read_seq: int | None = None) -> MessagePayload:
    """``read_seq``: the customer's read cursor, when known, is the truth for "read" whatever the channel said."""
    delivery_status = message.delivery_status
    if (
        read_seq is not None
        and message.sender != Message.Sender.CUSTOMER
        and not message.is_private
        and read_seq >= message.seq
    ):
        delivery_status = Message.Delivery.READ
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author": person_payload(message.author),
        "body": message.body,
        "event": message.event,
        "client_id": message.client_id,
        "delivery_status": delivery_status,
        "created_at": message.created_at.isoformat(),
        "is_private": message.is_private,
        "meta": message.meta,
    }


def customer_message_payload(message: Message) -> CustomerMessagePayload:
    author = message.author
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender,
        "author": {"name": author.name} if author else None,
        "body": message.body,
        "event": message.event,
        "client_id": message.client_id,
        "delivery_status": message.delivery_status,
        "created_at": message.created_at.isoformat(),
    }


# --- Conversations -------------------------------------------------------------------------------


class ConversationPayload(TypedDict):
    """A conversation as agents see it: the inbox row, the REST detail, action answers and every event.

    ``*_id`` fields repeat the nested objects' ids for clients that read them (the inbox's live events)."""

    id: int
    status: str
    priority: int
    subject: str
    customer: CustomerRef
    customer_id: int
    inbox: InboxRef
    inbox_id: int
    team: Person | None
    team_id: int | None
    assignee: Person | None
    assignee_id: int | None
    labels: list[LabelRef]
    preview: str
    preview_sender: str | None
    waiting_since: str | None
    last_message_at: str | None
    created_at: str
    updated_at: str
    snoozed_until: str | None
    resolved_at: str | None
    first_response_at: str | None
    first_response_seconds: int | None
    last_seq: int
    agent_read_seq: int
    customer_read_seq: int
    unread: int


def conversation_payload(conversation: Conversation) -> ConversationPayload:
    """From a conversation loaded by ``selectors.core.conversation_with_view_data`` (no extra queries)."""
    customer, inbox, team = conversation.customer, conversation.inbox, conversation.team
    return {
        "id": conversation.id,
        "status": conversation.status,
        "priority": conversation.priority,
        "subject": conversation.subject,
        "customer": {"id": customer.id, "name": customer.display_name, "email": customer.email},
        "customer_id": customer.id,
        "inbox": {"id": inbox.id, "name": inbox.name, "kind": inbox.kind},
        "inbox_id": inbox.id,
        "team": {"id": team.id, "name": team.name} if team is not None else None,
        "team_id": conversation.team_id,
        "assignee": person_payload(conversation.assignee),
        "assignee_id": conversation.assignee_id,
        "labels": [{"id": label.id, "name": label.name, "color": label.color} for label in conversation.labels.all()],
        "preview": (getattr(conversation, "preview", None) or "")[:160],
        "preview_sender": getattr(conversation, "preview_sender", None),
        "waiting_since": _iso(conversation.waiting_since),
        "last_message_at": _iso(conversation.last_message_at),
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
        "snoozed_until": _iso(conversation.snoozed_until),
        "resolved_at": _iso(conversation.resolved_at),
        "first_response_at": _iso(conversation.first_response_at),
        "first_response_seconds": conversation.first_response_seconds,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "customer_read_seq": conversation.customer_read_seq,
        "unread": conversation.unread_for_agents,
    }


class CustomerConversationPayload(TypedDict):
    """What the customer may know about one of their conversations."""

    id: int
    status: str
    last_seq: int
    agent_read_seq: int
    customer_read_seq: int
    created_at: str
    last_message_at: str | None


def customer_conversation_payload(conversation: Conversation) -> CustomerConversationPayload:
    return {
        "id": conversation.id,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "customer_read_seq": conversation.customer_read_seq,
        "created_at": conversation.created_at.isoformat(),
        "last_message_at": _iso(conversation.last_message_at),
    }


def _conversation_now(conversation: Conversation) -> ConversationPayload:
    # Re-read inside the caller's transaction: events carry the row as it will commit.
    return conversation_payload(conversation_view_get(conversation_id=conversation.pk))


# --- Availability --------------------------------------------------------------------------------


class AvailabilityPayload(TypedDict):
    """Is the team there: the status API, the chat page and its state endpoint."""

    state: Literal["open", "away", "closed"]
    is_open: bool
    reason: str
    next_open: str | None
    next_open_text: str | None
    next_close: str | None
    time_zone: str
    policy_id: int | None
    status_text: str
    expectation: str
    require_email: bool


def availability_payload(
    availability: Availability,
    *,
    time_zone: str | None = None,
    language: str | None = None,
    inbox: Inbox | None = None,
    now: datetime | None = None,
) -> AvailabilityPayload:
    """``inbox`` supplies its own wording and whether it asks for an e-mail address while away."""
    options = inbox.settings if inbox is not None else {}
    # "When we're back" only when known; closed without a next opening still says "as soon as we can".
    back = ""
    if availability.next_open is not None:
        back = format_next_open(availability=availability, time_zone=time_zone, language=language, now=now)
    next_open_text = None
    if availability.state == "closed":
        next_open_text = back or format_next_open(
            availability=availability, time_zone=time_zone, language=language, now=now
        )
    if availability.is_open:
        status_text = options.get("open_text") or "We're here. Write to us and we'll answer shortly."
        expectation = options.get("reply_time_text") or "We usually reply within a few minutes."
    else:
        status_text = "We're away right now."
        if back:
            status_text += f" We're back {back}."
        expectation = (
            f"We'll reply when we're back{' ' + back if back else ''}. If you've left by then, we'll e-mail you."
        )
    return {
        "state": availability.state,
        "is_open": availability.is_open,
        "reason": availability.reason,
        "next_open": _iso(availability.next_open),
        "next_open_text": next_open_text,
        "next_close": _iso(availability.next_close),
        "time_zone": availability.time_zone,
        "policy_id": availability.policy_id,
        "status_text": status_text,
        "expectation": expectation,
        "require_email": bool(options.get("require_email_when_away")) and not availability.is_open,
    }


# --- Frames common to both sockets ---------------------------------------------------------------


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    ref: NotRequired[Any]
    fields: NotRequired[dict]
    client_id: NotRequired[str | None]
    retry_after: NotRequired[int]


def error_frame(
    code: str,
    message: str,
    *,
    ref: Any = None,
    fields: dict | None = None,
    client_id: str | None = None,
    retry_after: int | None = None,
) -> ErrorFrame:
    """Optional keys only when they say something; ``client_id`` names the refused message."""
    frame: ErrorFrame = {"type": "error", "code": code, "message": message}
    if ref is not None:
        frame["ref"] = ref
    if fields:
        frame["fields"] = fields
    if client_id is not None:
        frame["client_id"] = client_id
    if retry_after is not None:
        frame["retry_after"] = retry_after
    return frame


class PongFrame(TypedDict):
    type: Literal["pong"]
    ref: Any


def pong_frame(*, ref: Any) -> PongFrame:
    return {"type": "pong", "ref": ref}


# --- Agent socket (/ws/agent/) -------------------------------------------------------------------


class AgentHelloFrame(TypedDict):
    type: Literal["hello"]
    agent_id: int
    event_seq: int


def agent_hello_frame(*, agent_id: int, event_seq: int) -> AgentHelloFrame:
    return {"type": "hello", "agent_id": agent_id, "event_seq": event_seq}


class EventFrame(TypedDict):
    """One entry of the agents' event log, live and in the catch-up API."""

    type: Literal["event"]
    seq: int
    event: str
    conversation_id: int | None
    data: dict


def event_frame(event: Event) -> EventFrame:
    return {
        "type": "event",
        "seq": event.seq,
        "event": event.type,
        "conversation_id": event.conversation_id,
        "data": event.payload,
    }


class PresenceAckFrame(TypedDict):
    type: Literal["presence.ack"]
    availability: str
    ttl_seconds: int
    # The newest event in the log: a client behind it missed a bell (the channel layer was reconnecting)
    # and catches up, so an open socket never waits for the next event to learn of a lost one.
    event_seq: int
    ref: Any


def presence_ack_frame(*, availability: str, event_seq: int, ref: Any = None) -> PresenceAckFrame:
    return {
        "type": "presence.ack",
        "availability": availability,
        "ttl_seconds": settings.PRESENCE_TTL_SECONDS,
        "event_seq": event_seq,
        "ref": ref,
    }


class PresenceFrame(TypedDict):
    type: Literal["presence"]
    agent: Person
    availability: str


def presence_frame(*, agent, availability: str) -> PresenceFrame:
    return {"type": "presence", "agent": {"id": agent.id, "name": agent.name}, "availability": availability}


class AgentTypingFrame(TypedDict):
    type: Literal["typing"]
    conversation_id: int
    agent: Person
    is_typing: bool
    private: bool


def agent_typing_frame(*, conversation_id: int, agent, is_typing: bool, private: bool) -> AgentTypingFrame:
    return {
        "type": "typing",
        "conversation_id": conversation_id,
        "agent": {"id": agent.id, "name": agent.name},
        "is_typing": is_typing,
        "private": private,
    }


class CustomerTypingFrame(TypedDict):
    # Its own type: agents' "typing" frames name an agent, and the inbox keys on that.
    type: Literal["customer.typing"]
    conversation_id: int
    is_typing: bool


def customer_typing_frame(*, conversation_id: int, is_typing: bool) -> CustomerTypingFrame:
    return {"type": "customer.typing", "conversation_id": conversation_id, "is_typing": is_typing}


class AgentReadAckFrame(TypedDict):
    type: Literal["read.ack"]
    conversation_id: int
    agent_read_seq: int
    ref: Any


def agent_read_ack_frame(conversation: Conversation, *, ref: Any = None) -> AgentReadAckFrame:
    return {
        "type": "read.ack",
        "conversation_id": conversation.id,
        "agent_read_seq": conversation.agent_read_seq,
        "ref": ref,
    }


# --- Customer socket (/ws/chat/<slug>/) ----------------------------------------------------------


class CustomerHelloFrame(TypedDict):
    type: Literal["hello"]
    conversations: list[CustomerConversationPayload]


def customer_hello_frame(conversations: list[Conversation]) -> CustomerHelloFrame:
    return {"type": "hello", "conversations": [customer_conversation_payload(c) for c in conversations]}


class AckFrame(TypedDict):
    type: Literal["ack"]
    ref: Any
    client_id: str | None
    seq: int
    conversation: CustomerConversationPayload
    message: CustomerMessagePayload
    duplicate: bool


def ack_frame(*, message: Message, conversation: Conversation, created: bool, ref: Any = None) -> AckFrame:
    return {
        "type": "ack",
        "ref": ref,
        "client_id": message.client_id,
        "seq": message.seq,
        "conversation": customer_conversation_payload(conversation),
        "message": customer_message_payload(message),
        "duplicate": not created,
    }


class MessageFrame(TypedDict):
    type: Literal["message"]
    message: CustomerMessagePayload
    # The seq of the public message before this one: a page that has it has missed nothing.
    prev_seq: int


def message_frame(message: Message, *, prev_seq: int) -> MessageFrame:
    return {"type": "message", "message": customer_message_payload(message), "prev_seq": prev_seq}


class ConversationFrame(TypedDict):
    type: Literal["conversation"]
    conversation: CustomerConversationPayload


def conversation_frame(conversation: Conversation) -> ConversationFrame:
    return {"type": "conversation", "conversation": customer_conversation_payload(conversation)}


class AgentTypingToCustomerFrame(TypedDict):
    type: Literal["typing"]
    by: Literal["agent"]
    is_typing: bool


def agent_typing_to_customer_frame(*, is_typing: bool) -> AgentTypingToCustomerFrame:
    return {"type": "typing", "by": "agent", "is_typing": is_typing}


class CustomerReadAckFrame(TypedDict):
    type: Literal["read.ack"]
    conversation_id: int
    seq: int
    ref: Any


def customer_read_ack_frame(conversation: Conversation, *, ref: Any = None) -> CustomerReadAckFrame:
    return {"type": "read.ack", "conversation_id": conversation.id, "seq": conversation.customer_read_seq, "ref": ref}


class AgentReadFrame(TypedDict):
    type: Literal["read"]
    by: Literal["agent"]
    seq: int


def agent_read_frame(*, seq: int) -> AgentReadFrame:
    return {"type": "read", "by": "agent", "seq": seq}


# --- Agents' event log: ``data`` of each event type ----------------------------------------------

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_REOPENED = "conversation.reopened"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_READ = "conversation.read"
MESSAGE_CREATED = "message.created"
MESSAGE_STATUS = "message.status"
MENTION = "mention"
UNASSIGNED_ALERT = "conversation.unassigned_alert"
SNOOZE_ENDED = "conversation.snooze_ended"


class ConversationEvent(TypedDict):
    """``conversation.created`` and ``conversation.reopened`` (the customer wrote again)."""

    conversation: ConversationPayload


def conversation_created_event(conversation: Conversation) -> ConversationEvent:
    return {"conversation": _conversation_now(conversation)}


def conversation_reopened_event(conversation: Conversation) -> ConversationEvent:
    return {"conversation": _conversation_now(conversation)}


class ConversationUpdatedEvent(TypedDict):
    conversation: ConversationPayload
    change: str
    actor: Person | None
    # Only on the copy sent to every agent when a team-less conversation gained a team.
    conversation_id: NotRequired[int]


def conversation_updated_event(
    conversation: Conversation, *, change: str, actor, announce_id: bool = False
) -> ConversationUpdatedEvent:
    data: ConversationUpdatedEvent = {
        "conversation": _conversation_now(conversation),
        "change": change,
        "actor": person_payload(actor),
    }
    if announce_id:
        data["conversation_id"] = conversation.id
    return data


class ConversationReadEvent(TypedDict):
    by: Literal["customer", "agent"]
    seq: int
    conversation: ConversationPayload


def conversation_read_event(conversation: Conversation, *, seq: int, by_customer: bool) -> ConversationReadEvent:
    return {"by": "customer" if by_customer else "agent", "seq": seq, "conversation": _conversation_now(conversation)}


class MessageCreatedEvent(TypedDict):
    message: MessagePayload
    conversation: ConversationPayload


def message_created_event(message: Message, conversation: Conversation) -> MessageCreatedEvent:
    return {"message": message_payload(message), "conversation": _conversation_now(conversation)}


class MessageStatusEvent(TypedDict):
    """How far an outgoing message got on its channel; ``error`` is the platform's reason when failed."""

    message_id: int
    conversation_id: int
    seq: int
    status: str
    error: str


def message_status_event(message: Message) -> MessageStatusEvent:
    failed = message.delivery_status == Message.Delivery.FAILED
    return {
        "message_id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "status": message.delivery_status,
        "error": message.meta.get("delivery_error", "") if failed else "",
    }


class MentionEvent(TypedDict):
    conversation: ConversationPayload
    message: MessagePayload
    by: Person


def mention_event(message: Message, conversation: Conversation) -> MentionEvent:
    assert message.author_id is not None  # only an agent's note mentions anyone
    return {
        "conversation": _conversation_now(conversation),
        "message": message_payload(message),
        "by": {"id": message.author_id, "name": message.author.name if message.author else ""},
    }


class UnassignedAlertEvent(TypedDict):
    conversation: ConversationPayload
    customer_name: str
    waiting_minutes: int
    threshold_minutes: int


def unassigned_alert_event(
    conversation: Conversation, *, waiting_minutes: int, threshold_minutes: int
) -> UnassignedAlertEvent:
    data = _conversation_now(conversation)
    return {
        "conversation": data,
        "customer_name": data["customer"]["name"],
        "waiting_minutes": waiting_minutes,
        "threshold_minutes": threshold_minutes,
    }


class SnoozeEndedEvent(TypedDict):
    conversation: ConversationPayload
    snoozed_until: str | None


def snooze_ended_event(conversation: Conversation, *, snoozed_until: datetime | None) -> SnoozeEndedEvent:
    return {"conversation": _conversation_now(conversation), "snoozed_until": _iso(snoozed_until)}


# --- The API channel's outbound webhook ----------------------------------------------------------


class ApiWebhookMessage(TypedDict):
    event: Literal["message.created"]
    conversation_id: int
    customer_id: int
    message: CustomerMessagePayload


def api_webhook_message(*, conversation: Conversation, message: Message) -> ApiWebhookMessage:
    # The company's system stands in for the customer: it gets the customer's view.
    return {
        "event": "message.created",
        "conversation_id": conversation.id,
        "customer_id": conversation.customer_id,
        "message": customer_message_payload(message),
    }


# --- Registries: what each socket sends and what each event carries (tests cover every entry) ------

AGENT_FRAMES: dict[str, type] = {
    "hello": AgentHelloFrame,
    "event": EventFrame,
    "error": ErrorFrame,
    "pong": PongFrame,
    "presence.ack": PresenceAckFrame,
    "presence": PresenceFrame,
    "typing": AgentTypingFrame,
    "customer.typing": CustomerTypingFrame,
    "read.ack": AgentReadAckFrame,
}

CUSTOMER_FRAMES: dict[str, type] = {
    "hello": CustomerHelloFrame,
    "ack": AckFrame,
    "error": ErrorFrame,
    "pong": PongFrame,
    "message": MessageFrame,
    "conversation": ConversationFrame,
    "typing": AgentTypingToCustomerFrame,
    "read.ack": CustomerReadAckFrame,
    "read": AgentReadFrame,
}

EVENTS: dict[str, type] = {
    CONVERSATION_CREATED: ConversationEvent,
    CONVERSATION_REOPENED: ConversationEvent,
    CONVERSATION_UPDATED: ConversationUpdatedEvent,
    CONVERSATION_READ: ConversationReadEvent,
    MESSAGE_CREATED: MessageCreatedEvent,
    MESSAGE_STATUS: MessageStatusEvent,
    MENTION: MentionEvent,
    UNASSIGNED_ALERT: UnassignedAlertEvent,
    SNOOZE_ENDED: SnoozeEndedEvent,
}

WEBHOOKS: dict[str, type] = {"message.created": ApiWebhookMessage}
