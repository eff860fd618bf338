"""Away replies: told at once when we are back, once per closed period, never over an agent's answer."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conversations.away.services import AWAY_REPLY
from conversations.models import Conversation, Message, OutboxItem
from conversations.tasks import outbox_run
from helpdesk.models import Agent
from hours.models import AwayText
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.fakes import FakeServer
from tests.helpers import message_create
from tests.hours.clock import frozen_clock
from tests.hours.policies import DateException, always_open, berlin_office, never_open

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_EVENING = datetime(2026, 11, 20, 19, 0, tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    return frozen_clock(monkeypatch)


def conversation_for(policy, *, locale="en", time_zone="Europe/London", online=True, inbox=None):
    team = TeamFactory(business_hours_policy=policy)
    member = AgentFactory(availability=Agent.Availability.ONLINE if online else Agent.Availability.OFFLINE)
    team.members.add(member)
    inbox = inbox or InboxFactory(team=team)
    customer = CustomerFactory(locale=locale, time_zone=time_zone)
    return ConversationFactory(inbox=inbox, team=team, customer=customer), member


def customer_writes(conversation, body="Hello?", capture=None):
    with capture(execute=True):
        message, _ = message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body=body)
    return message


def away_replies(conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, event="away_reply").order_by("seq"))


def test_it_tells_a_friday_evening_customer_in_london_we_are_back_monday_at_eight_their_time(
    clock, django_capture_on_commit_callbacks
):
    clock.set(FRIDAY_EVENING)
    conversation, _ = conversation_for(berlin_office())
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)

    [reply] = away_replies(conversation)
    assert reply.sender == Message.Sender.SYSTEM and not reply.is_private
    assert "Monday at 08:00" in reply.body
    assert reply.meta["next_open"] == datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("UTC")).isoformat()
    assert OutboxItem.objects.get(kind=AWAY_REPLY).key == f"away:{conversation.pk}:2026-11-23T08:00:00+00:00"


def test_it_answers_in_the_customers_language_and_time_zone(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    conversation, _ = conversation_for(berlin_office(), locale="de-DE", time_zone="Europe/Berlin")
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)

    [reply] = away_replies(conversation)
    assert "am Montag um 09:00 wieder für Sie da" in reply.body


def test_it_falls_back_to_the_policys_zone_and_the_policys_own_texts(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    policy = berlin_office(default_language="de")
    AwayText.objects.create(
        policy=policy, language="de", closed_text="Zu! Zurück {next_open} {wirklich}.", stepped_away_text="Kurz weg."
    )
    conversation, _ = conversation_for(policy, locale="", time_zone="")
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)

    [reply] = away_replies(conversation)
    assert reply.body == "Zu! Zurück am Montag um 09:00 {wirklich}."


def test_it_sends_one_away_reply_per_closed_period_not_per_calendar_day(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    conversation, _ = conversation_for(berlin_office())
    customer_writes(conversation, "Friday evening", capture=django_capture_on_commit_callbacks)
    clock.set(datetime(2026, 11, 21, 11, 0, tzinfo=BERLIN))
    customer_writes(conversation, "Saturday morning", capture=django_capture_on_commit_callbacks)
    clock.set(datetime(2026, 11, 22, 23, 0, tzinfo=BERLIN))
    customer_writes(conversation, "Sunday night", capture=django_capture_on_commit_callbacks)
    assert len(away_replies(conversation)) == 1

    clock.set(datetime(2026, 11, 23, 19, 0, tzinfo=BERLIN))
    customer_writes(conversation, "Monday evening", capture=django_capture_on_commit_callbacks)
    replies = away_replies(conversation)
    assert len(replies) == 2
    assert "Tuesday at 08:00" in replies[1].body or "tomorrow at 08:00" in replies[1].body


def test_it_sends_no_away_reply_when_an_agent_replied_in_the_last_five_minutes(
    clock, django_capture_on_commit_callbacks
):
    clock.set(datetime(2026, 11, 20, 17, 58, tzinfo=BERLIN))
    conversation, agent = conversation_for(berlin_office())
    # Not executed: the agent reply's own side effects (e-mail fallback) are not under test here.
    with django_capture_on_commit_callbacks(execute=False):
        message_create(conversation=conversation, sender=Message.Sender.AGENT, author=agent, body="Checking…")
    clock.set(datetime(2026, 11, 20, 18, 1, tzinfo=BERLIN))
    customer_writes(conversation, "Thanks!", capture=django_capture_on_commit_callbacks)
    assert away_replies(conversation) == []

    clock.set(datetime(2026, 11, 20, 18, 10, tzinfo=BERLIN))
    customer_writes(conversation, "Are you still there?", capture=django_capture_on_commit_callbacks)
    assert len(away_replies(conversation)) == 1


def test_a_private_note_does_not_count_as_an_agent_reply(clock, django_capture_on_commit_callbacks):
    clock.set(datetime(2026, 11, 20, 18, 1, tzinfo=BERLIN))
    conversation, agent = conversation_for(berlin_office())
    with django_capture_on_commit_callbacks(execute=True):
        message_create(
            conversation=conversation, sender=Message.Sender.AGENT, author=agent, body="note", is_private=True
        )
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)
    assert len(away_replies(conversation)) == 1


def test_it_sends_the_stepped_away_text_when_the_team_switched_to_away(clock, django_capture_on_commit_callbacks):
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    conversation, _ = conversation_for(berlin_office(away=True))
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)

    [reply] = away_replies(conversation)
    assert "stepped away" in reply.body
    assert reply.meta["reason"] == "switched_away"


def test_it_sends_the_stepped_away_text_when_nobody_of_the_team_is_online(clock, django_capture_on_commit_callbacks):
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    conversation, _ = conversation_for(berlin_office(), online=False)
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)
    customer_writes(conversation, "still there?", capture=django_capture_on_commit_callbacks)

    [reply] = away_replies(conversation)
    assert reply.meta["reason"] == "nobody_online"


def test_an_expired_away_switch_no_longer_counts(clock, django_capture_on_commit_callbacks):
    now = clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    conversation, _ = conversation_for(berlin_office(away=True, away_until=now - timedelta(minutes=1)))
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)
    assert away_replies(conversation) == []


def test_it_sends_nothing_while_open_and_staffed(django_capture_on_commit_callbacks):
    conversation, _ = conversation_for(always_open())
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)
    assert away_replies(conversation) == []
    assert not OutboxItem.objects.filter(kind=AWAY_REPLY).exists()


def test_a_policy_that_never_opens_says_we_answer_as_soon_as_we_can(django_capture_on_commit_callbacks):
    conversation, _ = conversation_for(never_open())
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)
    [reply] = away_replies(conversation)
    assert "as soon as we can" in reply.body


def test_running_the_away_task_twice_writes_one_reply(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    conversation, _ = conversation_for(berlin_office())
    with django_capture_on_commit_callbacks(execute=False):
        message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Hi")
    item = OutboxItem.objects.get(kind=AWAY_REPLY)

    assert outbox_run(item.pk) == "done"
    assert outbox_run(item.pk) == "done"
    assert len(away_replies(conversation)) == 1


def test_the_task_skips_the_reply_when_an_agent_answered_before_it_ran(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    conversation, agent = conversation_for(berlin_office())
    with django_capture_on_commit_callbacks(execute=False):
        message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Hi")
    with django_capture_on_commit_callbacks(execute=False):
        message_create(conversation=conversation, sender=Message.Sender.AGENT, author=agent, body="Here!")

    assert outbox_run(OutboxItem.objects.get(kind=AWAY_REPLY).pk) == "done"
    assert away_replies(conversation) == []


def test_the_away_reply_goes_out_over_the_conversations_channel(clock, django_capture_on_commit_callbacks):
    sink = FakeServer()
    try:
        clock.set(FRIDAY_EVENING)
        policy = berlin_office()
        team = TeamFactory(business_hours_policy=policy)
        inbox = InboxFactory(team=team, kind="api", settings={"webhook_url": sink.url + "/hook"})
        conversation, _ = conversation_for(policy, inbox=inbox)
        customer_writes(conversation, capture=django_capture_on_commit_callbacks)

        [reply] = away_replies(conversation)
        assert Message.objects.get(pk=reply.pk).delivery_status == Message.Delivery.SENT
        assert [request["json"]["message"]["body"] for request in sink.requests] == [reply.body]
    finally:
        sink.close()


def test_the_customer_message_and_the_intent_commit_together(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    conversation, _ = conversation_for(berlin_office())
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Hi")
            raise RuntimeError("the inbound request failed after writing")
    assert not OutboxItem.objects.filter(kind=AWAY_REPLY).exists()
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 0


def test_a_team_open_around_the_clock_says_it_stepped_away_once_a_day(clock, django_capture_on_commit_callbacks):
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN))
    conversation, _ = conversation_for(always_open(), online=False)
    customer_writes(conversation, capture=django_capture_on_commit_callbacks)
    clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN))
    customer_writes(conversation, "later that day", capture=django_capture_on_commit_callbacks)
    assert len(away_replies(conversation)) == 1
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN))
    customer_writes(conversation, "next day", capture=django_capture_on_commit_callbacks)
    assert len(away_replies(conversation)) == 2


def test_the_reply_text_comes_from_the_decision_that_chose_its_key(clock, django_capture_on_commit_callbacks):
    clock.set(FRIDAY_EVENING)
    policy = berlin_office()
    conversation, _ = conversation_for(policy)
    # Queued, not yet carried out (as when the worker is behind).
    message_create(conversation=conversation, sender=Message.Sender.CUSTOMER, body="Hello?")
    item = OutboxItem.objects.get(kind=AWAY_REPLY)
    assert item.key == f"away:{conversation.pk}:2026-11-23T08:00:00+00:00"
    # Before the worker runs, the supervisor makes Monday a holiday: a fresh look would say Tuesday.
    DateException.objects.create(policy=policy, date=datetime(2026, 11, 23).date())
    outbox_run(item.pk)
    [reply] = away_replies(conversation)
    # The reply names the period of its key (Monday); Tuesday's period gets its own key and reply.
    assert "Monday at 08:00" in reply.body
    assert reply.meta["next_open"] == datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("UTC")).isoformat()
