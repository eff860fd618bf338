"""Away replies: a customer who writes while we are closed (or away) is told at once when we are back.

At most one reply per conversation per closed period: the outbox key names the period by the instant it
ends (``away:{conversation}:{next_open}``), so a second message in the same night finds the key taken,
while a message next Friday evening gets a new reply. The intent is written in the customer message's
transaction and carried out by a Celery task, which writes the reply as a system message (delivered over
the conversation's channel by the delivery hook) in the same transaction that marks the intent done.
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from conversations.models import Conversation, Message, OutboxItem
from conversations.selectors.availability import (
    Availability,
    conversation_availability,
    format_next_open,
    language_code,
    policy_for_conversation,
)
from conversations.services.messages import system_message_create
from conversations.services.outbox import AWAY_REPLY, outbox_add

logger = logging.getLogger(__name__)

# An agent who answered this recently is still there: an automatic "we're closed" would contradict them.
RECENT_AGENT_REPLY = timedelta(minutes=5)

DEFAULT_TEXTS = {
    "en": (
        "Thanks for your message! We're closed right now and will be back {next_open}. We'll answer you then.",
        "Thanks for your message! We've stepped away for a moment and will answer as soon as we're back.",
    ),
    "de": (
        "Danke für Ihre Nachricht! Wir sind gerade nicht da und {next_open} wieder für Sie da.",
        "Danke für Ihre Nachricht! Wir sind kurz nicht am Platz und antworten, sobald wir zurück sind.",
    ),
    "fr": (
        "Merci pour votre message ! Nous sommes fermés et serons de retour {next_open}.",
        "Merci pour votre message ! Nous nous sommes absentés un instant et répondrons dès notre retour.",
    ),
    "es": (
        "¡Gracias por su mensaje! Ahora estamos cerrados y volvemos {next_open}.",
        "¡Gracias por su mensaje! Nos hemos ausentado un momento y responderemos en cuanto volvamos.",
    ),
}


def away_reply_key(*, conversation_id: int, availability: Availability, now: datetime | None = None) -> str:
    """The closed (or away) period this reply belongs to, so there is one reply per period.

    A closed period is named by the instant it ends. Stepping away happens within a business window, named
    by the instant that window ends; a window that never ends (open around the clock) by the day, so such
    a team still says it stepped away once a day rather than once ever."""
    if availability.state == "closed":
        period = availability.next_open.isoformat() if availability.next_open else "never"
        return f"away:{conversation_id}:{period}"
    if availability.next_close is not None:
        return f"away:{conversation_id}:stepped:{availability.next_close.isoformat()}"
    return f"away:{conversation_id}:stepped:day-{(now or timezone.now()).date().isoformat()}"


def customer_preferences(conversation: Conversation) -> tuple[str | None, str | None]:
    """(time zone, language) of the customer, from their profile or what the channel told us."""
    context = conversation.context or {}
    customer = conversation.customer
    zone = customer.time_zone or context.get("time_zone") or context.get("timezone")
    language = customer.locale or context.get("language") or context.get("locale")
    return zone, language


def away_reply_text(*, conversation: Conversation, availability: Availability, now: datetime | None = None) -> str:
    """The reply in the customer's language when the policy (or we) have it, else the policy's default
    language, else English; the time of reopening in the customer's zone, else the policy's."""
    zone, language = customer_preferences(conversation)
    policy = policy_for_conversation(conversation)
    custom = {text.language.lower(): text for text in policy.away_texts.all()} if policy else {}
    choices = [language, policy.default_language if policy else None, "en"]
    closed_text = stepped_text = text_language = None
    for choice in choices:
        code = language_code(choice, supported=tuple(custom))
        if code:
            closed_text, stepped_text, text_language = custom[code].closed_text, custom[code].stepped_away_text, code
            break
        code = language_code(choice, supported=tuple(DEFAULT_TEXTS))
        if code:
            (closed_text, stepped_text), text_language = DEFAULT_TEXTS[code], code
            break
    # "en" is always a choice and always has a default text, so the loop has found both.
    assert closed_text is not None and stepped_text is not None
    if availability.state != "closed":
        return stepped_text
    when = format_next_open(availability=availability, time_zone=zone, language=text_language, now=now)
    # replace, not format: supervisors write these texts and may use braces of their own.
    return closed_text.replace("{next_open}", when)


def _agent_replied_recently(conversation: Conversation, since: datetime) -> bool:
    last = conversation.last_agent_reply_at
    return last is not None and last >= since - RECENT_AGENT_REPLY


def away_reply_queue(*, conversation: Conversation, message: Message) -> None:
    """After a customer message while the team is closed or away: one away reply per closed period."""
    if message.sender != Message.Sender.CUSTOMER or message.is_private:
        return
    now = timezone.now()
    if _agent_replied_recently(conversation, now):
        return
    availability = conversation_availability(conversation=conversation, now=now)
    if availability.is_open:
        return
    outbox_add(
        kind=AWAY_REPLY,
        key=away_reply_key(conversation_id=conversation.pk, availability=availability, now=now),
        conversation=conversation,
        message=message,
        payload={"written_at": now.isoformat(), "decision": _decision_dump(availability)},
    )


def _decision_dump(availability: Availability) -> dict[str, str | int | None]:
    return {
        "state": availability.state,
        "reason": availability.reason,
        "next_open": availability.next_open.isoformat() if availability.next_open else None,
        "next_close": availability.next_close.isoformat() if availability.next_close else None,
        "time_zone": availability.time_zone,
        "policy_id": availability.policy_id,
    }


def _decision_load(payload: dict[str, object]) -> Availability | None:
    """The availability the reply was queued under: its key and its text come from this one decision (the
    web process's cached view and the worker's fresh one may disagree about when we reopen)."""
    decision = payload.get("decision")
    if not isinstance(decision, dict):
        return None  # queued before decisions were stored

    def when(value: object) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    return Availability(
        state=decision["state"],
        reason=decision["reason"],
        next_open=when(decision["next_open"]),
        next_close=when(decision["next_close"]),
        time_zone=decision["time_zone"],
        policy_id=decision["policy_id"],
    )


def away_reply_send(item: OutboxItem) -> None:
    """Outbox handler: write the away reply of one closed period (delivered like any automatic message)."""
    assert item.conversation_id is not None  # away replies are always queued for a conversation
    conversation = Conversation.objects.select_related(
        "customer", "team__business_hours_policy", "inbox__team__business_hours_policy", "inbox__business_hours_policy"
    ).get(pk=item.conversation_id)
    written_at = datetime.fromisoformat(item.payload["written_at"]) if "written_at" in item.payload else item.created_at
    if _agent_replied_recently(conversation, written_at):
        return
    now = timezone.now()
    if conversation_availability(conversation=conversation, now=now).is_open:
        # We opened before the task ran: an agent answers now, a "we're closed" would be wrong.
        return
    availability = _decision_load(item.payload) or conversation_availability(conversation=conversation, now=now)
    system_message_create(
        conversation=conversation,
        body=away_reply_text(conversation=conversation, availability=availability, now=now),
        event="away_reply",
        meta={
            "state": availability.state,
            "reason": availability.reason,
            "next_open": availability.next_open.isoformat() if availability.next_open else None,
            "outbox_key": item.key,
        },
    )
    pause = settings.AWAY_REPLY_TEST_SLEEP_SECONDS
    if pause:
        # Lets the integration test kill the worker between writing the reply and committing it.
        logger.warning("away reply for conversation %s written, pausing %.0f s before commit", conversation.pk, pause)
        time.sleep(pause)
