"""A business week in miniature: the Berlin office opens and closes, three agents work shifts and leave with
conversations open, customers write day and night, leave or stay, and come back. At the end every promise
holds: one away reply per closed period, every message answered by the next open window, nothing waiting
on an agent who went home, every unseen reply e-mailed once, nothing stored twice.

The clock moves in ticks: ten minutes around office hours, thirty at night and at the weekend, when only
customers and the sweeps are awake. Each tick runs, in order: presence, the beat sweeps, customers writing,
agents answering, customers reading. Seeded, so a failure replays exactly."""

import random
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from conversations.chat.services import chat_mark_read
from conversations.inbox.services.actions import conversation_assign, conversation_resolve
from conversations.inbox.services.assignment import ACTIVE_STATUSES
from conversations.inbox.services.presence import agent_presence_heartbeat, agent_presence_set
from conversations.messaging import agent_message_send, customer_message_receive
from conversations.models import Conversation, Message
from conversations.selectors.availability import policy_for_conversation, snapshot_for
from conversations.services.outbox import SWEEP_GRACE
from helpdesk.celery import app
from helpdesk.models import Agent
from hours import engine
from tests.factories import AgentFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.hours.clock import frozen_clock
from tests.hours.policies import berlin_office

pytestmark = pytest.mark.django_db

SEED = 20261109
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 9, tzinfo=BERLIN)  # a week without German public holidays
TICK = timedelta(minutes=10)
NIGHT_TICK = timedelta(minutes=30)
DAY = (time(8), time(19))  # weekdays, local: ten-minute ticks
WRITING_ENDS = MONDAY + timedelta(days=7)  # customers write Monday to Sunday
END = MONDAY + timedelta(days=7, hours=13)  # through the next Monday's morning window
CUSTOMERS = 26
# Customers who write just before an agent's shift ends, so agents leave with conversations open.
LATE_WRITERS = (time(14, 50), time(16, 20))
# A message written this close to closing is due by the end of the next window, not this one.
ANSWER_TIME = timedelta(minutes=30)
EMAIL_FALLBACK_MINUTES = 2
RECENT_AGENT_REPLY = timedelta(minutes=5)  # away replies stay quiet this long after an agent's answer
AT_HAND = 3  # conversations an agent works on at once
ONLINE, OFFLINE = Agent.Availability.ONLINE, Agent.Availability.OFFLINE


@dataclass
class Shift:
    agent: Agent
    starts: time
    ends: time
    leaves: str  # "choice": sets offline; "lapse": closes the laptop, the presence sweep does the rest
    online: bool = False

    def covers(self, at: datetime) -> bool:
        local = at.astimezone(BERLIN)
        return local.weekday() < 5 and self.starts <= local.time() < self.ends


@dataclass
class Visitor:
    customer: object
    writes: list[datetime]
    stays: timedelta  # how long the chat page stays open (and read) after writing; zero: leaves at once
    last_write: datetime | None = None
    conversation_id: int | None = None


@dataclass
class Written:
    message_id: int
    conversation_id: int
    seq: int
    at: datetime


@dataclass
class Sent:
    at: datetime
    to: str
    conversation_id: int
    body: str


@dataclass
class World:
    clock: object
    capture: object
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    now: datetime = MONDAY
    written: list[Written] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    emails: list[Sent] = field(default_factory=list)
    # conversation id -> [(when, customer_read_seq)] each time the customer's read cursor moved
    reads: dict[int, list[tuple[datetime, int]]] = field(default_factory=lambda: defaultdict(list))
    answer_at: dict[tuple[int, int], datetime] = field(default_factory=dict)
    seen: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.policy = berlin_office()
        self.team = TeamFactory(business_hours_policy=self.policy, auto_assign=True)
        self.inbox = InboxFactory(team=self.team, kind="webchat")
        self.snapshot = snapshot_for(self.policy)
        ana, ben, cem = (AgentFactory(display_name=name, availability=OFFLINE) for name in ("Ana", "Ben", "Cem"))
        self.team.members.add(ana, ben, cem)
        self.shifts = [
            Shift(ana, time(8, 50), time(15, 0), "choice"),  # leaves mid-afternoon, mid-window
            Shift(ben, time(12, 15), time(18, 10), "choice"),
            Shift(cem, time(10, 0), time(16, 30), "lapse"),
        ]
        self.ticks = week_ticks()
        self.next_tick = 0
        self.visitors = [self._visitor(n) for n in range(CUSTOMERS)]
        for day in range(5):
            for at in LATE_WRITERS:
                self.visitors.append(
                    self._visitor(
                        len(self.visitors), first=datetime.combine((MONDAY + timedelta(days=day)).date(), at, BERLIN)
                    )
                )
        self.numbers = count(1)
        app.loader.import_default_modules()  # the tasks beat names, as a worker loads them
        # Every sweep of the beat schedule but the customer-profile ones, which have nothing to do here.
        self.sweeps = [e["task"] for e in app.conf.beat_schedule.values() if not e["task"].startswith("customers.")]

    def _visitor(self, n: int, first: datetime | None = None) -> Visitor:
        rng = self.rng
        writable = [at for at in self.ticks if at < WRITING_ENDS]
        first = first or rng.choice(writable)
        writes = [first]
        if rng.random() < 0.45:  # a returning customer: soon (same period, often) or a day or two later
            soon = rng.randint(1, 9) * TICK
            later = self.tick_at_or_after(first + rng.choice([soon, timedelta(hours=rng.randint(3, 40))]))
            if later < WRITING_ENDS:
                writes.append(later)
        customer = CustomerFactory(
            name=f"Customer {n}",
            email=f"customer{n}@example.com" if rng.random() < 0.6 else "",
            locale=rng.choice(["en", "de"]),
            time_zone=rng.choice(["Europe/Berlin", "Europe/London"]),
        )
        stays = timedelta(minutes=rng.choice([0, 0, 30, 120, 480]))
        return Visitor(customer=customer, writes=writes, stays=stays)

    # --- one tick ---------------------------------------------------------------------------------------

    def tick(self) -> None:
        self.now = self.clock.set(self.ticks[self.next_tick])
        self.next_tick += 1
        self.presence()
        self.beat()
        self.customers_write()
        self.agents_answer()
        self.customers_read()

    def presence(self) -> None:
        for shift in self.shifts:
            on = shift.covers(self.now)
            if on and not shift.online:
                with self.capture(execute=True):
                    agent_presence_set(agent=shift.agent, availability=ONLINE)
                shift.online = True
            if on:
                agent_presence_heartbeat(agent=shift.agent)
            elif shift.online:
                shift.online = False
                if self._unanswered(assignee=shift.agent):
                    self.seen["left with unanswered conversations"] += 1
                if shift.leaves == "choice":
                    with self.capture(execute=True):
                        agent_presence_set(agent=shift.agent, availability=OFFLINE)

    def beat(self) -> None:
        """The sweeps, as beat would run them; the outbox rows they enqueue run inline (eager)."""
        for name in self.sweeps:
            with self.capture(execute=True):
                result = app.tasks[name]()
            if name.endswith("offline_release_sweep"):
                self.seen["released"] += result
            if name.endswith("presence_sweep"):
                self.seen["swept offline"] += result
        for sent in mail.outbox[len(self.emails) :]:
            self.emails.append(
                Sent(self.now, sent.to[0], int(sent.extra_headers["X-Helpdesk-Conversation"]), sent.body)
            )
        # Nobody's conversations wait on them past the grace period (a tick of slack for the sweep).
        grace = timedelta(minutes=self.team.release_after_offline_minutes) + NIGHT_TICK
        stranded = Conversation.objects.filter(
            status__in=ACTIVE_STATUSES, assignee__availability=OFFLINE, assignee__offline_since__lt=self.now - grace
        )
        assert not stranded.exists(), f"{self.now}: {list(stranded.values_list('pk', 'assignee__username'))}"

    def customers_write(self) -> None:
        for visitor in self.visitors:
            if self.now not in visitor.writes:
                continue
            n = next(self.numbers)
            if visitor.conversation_id is not None:
                self.seen["returned"] += 1
                # Opening the page again shows the log: what is there now counts as read.
                self._read(visitor)
                status = Conversation.objects.get(pk=visitor.conversation_id).status
                if status == Conversation.Status.RESOLVED:
                    self.seen["reopened"] += 1
            kwargs = {"inbox": self.inbox, "customer": visitor.customer, "client_id": f"customer-{n}"}
            with self.capture(execute=True):
                received = customer_message_receive(body=f"Question {n} from {visitor.customer.name}", **kwargs)
            assert received.created
            if self.rng.random() < 0.2:  # the page resends after a dropped connection
                with self.capture(execute=True):
                    again = customer_message_receive(body=f"Question {n} from {visitor.customer.name}", **kwargs)
                assert not again.created and again.message.pk == received.message.pk
                self.seen["customer resends"] += 1
            visitor.conversation_id = received.conversation.pk
            visitor.last_write = self.now
            message = received.message
            self.written.append(Written(message.pk, message.conversation_id, message.seq, self.now))
            self._log_read(visitor.conversation_id)

    def agents_answer(self) -> None:
        if not engine.is_open(self.snapshot, self.now):
            return  # agents answer while the office is open
        for shift in self.shifts:
            if not shift.online:
                continue
            unanswered = self._unanswered(assignee=shift.agent)
            # With little of their own to answer, agents take the longest-waiting customers of the
            # Unassigned view: auto-assign skips agents at capacity, and answered open conversations count.
            waiting = Conversation.objects.filter(
                team=self.team, assignee__isnull=True, status=Conversation.Status.OPEN
            ).order_by("waiting_since", "pk")
            while len(unanswered) < AT_HAND and (taken := waiting.first()) is not None:
                with self.capture(execute=True):
                    conversation_assign(conversation=taken, actor=shift.agent, assignee=shift.agent)
                self.seen["taken from the queue"] += 1
                unanswered = self._unanswered(assignee=shift.agent)
            for conversation, customer_seq in unanswered:
                # Each agent takes a tick or two to get to a new message.
                due = self.answer_at.setdefault(
                    (conversation.pk, customer_seq), self.now + TICK * self.rng.randint(1, 2)
                )
                if self.now < due:
                    continue
                n = next(self.numbers)
                body, client_id = f"[reply {n}] {shift.agent.name} answers", f"agent-{n}"
                with self.capture(execute=True):
                    reply, created = agent_message_send(
                        conversation=conversation, author=shift.agent, body=body, client_id=client_id
                    )
                assert created
                if self.rng.random() < 0.15:  # the inbox resends after a dropped connection
                    with self.capture(execute=True):
                        again, created = agent_message_send(
                            conversation=conversation, author=shift.agent, body=body, client_id=client_id
                        )
                    assert not created and again.pk == reply.pk
                self.replies.append(reply.pk)
                if self.rng.random() < 0.6:
                    with self.capture(execute=True):
                        conversation_resolve(conversation=conversation, actor=shift.agent, seen_seq=reply.seq)

    def customers_read(self) -> None:
        for visitor in self.visitors:
            if visitor.last_write is not None and visitor.stays and self.now - visitor.last_write <= visitor.stays:
                self._read(visitor)

    # --- helpers ----------------------------------------------------------------------------------------

    def _unanswered(self, *, assignee: Agent) -> list[tuple[Conversation, int]]:
        """The agent's active conversations whose last public customer message has no agent answer after it."""
        out = []
        conversations = Conversation.objects.filter(assignee=assignee, status__in=ACTIVE_STATUSES)
        for conversation in conversations.select_related("customer", "inbox", "team").order_by("pk"):
            public = Message.objects.filter(conversation=conversation, is_private=False)
            last_customer = public.filter(sender=Message.Sender.CUSTOMER).order_by("-seq").first()
            last_agent = public.filter(sender=Message.Sender.AGENT).order_by("-seq").first()
            if last_customer and (last_agent is None or last_agent.seq < last_customer.seq):
                out.append((conversation, last_customer.seq))
        return out

    def _read(self, visitor: Visitor) -> None:
        conversation = Conversation.objects.select_related("customer", "inbox").get(pk=visitor.conversation_id)
        if conversation.last_public_seq > conversation.customer_read_seq:
            with self.capture(execute=True):
                chat_mark_read(conversation=conversation, seq=conversation.last_public_seq)
            self._log_read(conversation.pk)

    def _log_read(self, conversation_id: int) -> None:
        read_seq = Conversation.objects.values_list("customer_read_seq", flat=True).get(pk=conversation_id)
        self.reads[conversation_id].append((self.now, read_seq))

    def read_at(self, conversation_id: int, seq: int) -> datetime | None:
        return next((when for when, read in self.reads[conversation_id] if read >= seq), None)

    def answer_due(self, at: datetime) -> datetime:
        """The end of the first open window after ``at`` with time left to answer in."""
        if engine.is_open(self.snapshot, at):
            closes = engine.next_close(self.snapshot, at)
            assert closes is not None
            if closes - at >= ANSWER_TIME:
                return closes
            at = closes
        opens = engine.next_open(self.snapshot, at)
        assert opens is not None
        closes = engine.next_close(self.snapshot, opens)
        assert closes is not None
        return closes

    def tick_at_or_after(self, at: datetime) -> datetime:
        return self.ticks[bisect_left(self.ticks, at)]


def thread(messages: list[Message]) -> str:
    """A conversation's log for a failure message."""
    lines = [f"{m.seq} {m.created_at.astimezone(BERLIN):%a %H:%M} {m.sender} {m.body[:70]}" for m in messages]
    return "\n".join(lines)


def week_ticks() -> list[datetime]:
    ticks, at = [], MONDAY
    while at <= END:
        ticks.append(at)
        local = at.astimezone(BERLIN)
        at += TICK if local.weekday() < 5 and DAY[0] <= local.time() < DAY[1] else NIGHT_TICK
    return ticks


@pytest.fixture
def world(monkeypatch, settings, broadcasts, django_capture_on_commit_callbacks):
    settings.EMAIL_FALLBACK_MINUTES = EMAIL_FALLBACK_MINUTES
    settings.PRESENCE_TTL_SECONDS = 60
    return World(clock=frozen_clock(monkeypatch), capture=django_capture_on_commit_callbacks)


def test_a_week_of_customers_and_shifts_keeps_every_promise(world):
    while world.next_tick < len(world.ticks):
        world.tick()

    conversations = {c.pk: c for c in Conversation.objects.select_related("team", "inbox", "customer")}
    log = defaultdict(list)
    for message in Message.objects.order_by("conversation_id", "seq"):
        log[message.conversation_id].append(message)

    # The week did what it was meant to: otherwise the promises below would hold trivially.
    assert len(world.written) >= 35
    assert world.seen["returned"] and world.seen["reopened"]
    assert world.seen["left with unanswered conversations"] and world.seen["released"] and world.seen["swept offline"]
    assert world.seen["customer resends"]
    assert world.emails
    assert any(m.event == "away_reply" for messages in log.values() for m in messages)

    # (1) One away reply per closed period per conversation, when the customer wrote while closed and no
    # agent had just answered; never one while someone was there to answer.
    for conversation_id, messages in log.items():
        away = [m for m in messages if m.event == "away_reply"]
        assert all(m.meta["state"] == "closed" for m in away), "stepped away although staffed"
        periods = Counter(m.meta["next_open"] for m in away)
        assert all(n == 1 for n in periods.values()), (conversation_id, periods)
        expected = {}
        for m in messages:
            if m.sender != Message.Sender.CUSTOMER or engine.is_open(world.snapshot, m.created_at):
                continue
            answered = [a.created_at for a in messages if a.sender == Message.Sender.AGENT and not a.is_private]
            last_answer = max((a for a in answered if a <= m.created_at), default=None)
            if last_answer is None or m.created_at - last_answer > RECENT_AGENT_REPLY:
                period = engine.next_open(world.snapshot, m.created_at).astimezone(ZoneInfo("UTC")).isoformat()
                expected.setdefault(period, m.seq)
        assert set(periods) == set(expected), (conversation_id, sorted(periods), sorted(expected))
        for reply in away:
            assert reply.seq > expected[reply.meta["next_open"]]

    # (2) Every customer message answered by an agent before the end of the next open window.
    for written in world.written:
        assert policy_for_conversation(conversations[written.conversation_id]).pk == world.policy.pk
        answer = next(
            (
                m
                for m in log[written.conversation_id]
                if m.seq > written.seq and m.sender == Message.Sender.AGENT and not m.is_private
            ),
            None,
        )
        due = world.answer_due(written.at)
        assert answer is not None, f"message {written.message_id} of {written.at} never answered (due {due})"
        assert answer.created_at <= due, thread(log[written.conversation_id])

    # (3) Nothing waits on an agent who went home.
    grace = timedelta(minutes=world.team.release_after_offline_minutes)
    assert not Conversation.objects.filter(
        status__in=ACTIVE_STATUSES, assignee__availability=OFFLINE, assignee__offline_since__lte=END - grace
    ).exists()

    # (4) A reply the customer did not see in time is e-mailed exactly once; one they had seen, never.
    fallback = timedelta(minutes=EMAIL_FALLBACK_MINUTES) + SWEEP_GRACE
    outcomes = Counter()
    for reply in Message.objects.filter(pk__in=world.replies).select_related("conversation__customer"):
        token = reply.body.split("]")[0] + "]"
        email = reply.conversation.customer.email
        carried = [e for e in world.emails if token in e.body]
        assert sum(e.body.count(token) for e in carried) == len(carried)
        if not email:
            assert carried == []
            outcomes["no address"] += 1
            continue
        assert all(e.to == email and e.conversation_id == reply.conversation_id for e in carried)
        due = world.tick_at_or_after(reply.created_at + fallback)
        read = world.read_at(reply.conversation_id, reply.seq)
        if read is not None and read < due:
            assert carried == [], f"{token} e-mailed although read at {read}"
            outcomes["read in time"] += 1
        else:
            assert len(carried) == 1, f"{token} (unseen until {read}) e-mailed {len(carried)} times"
            assert read is None or carried[0].at <= read
            outcomes["e-mailed"] += 1
    assert set(outcomes) == {"no address", "read in time", "e-mailed"}

    # (5) Nothing stored twice: gapless seqs, each written message and reply once.
    for conversation_id, messages in log.items():
        assert [m.seq for m in messages] == list(range(1, conversations[conversation_id].last_seq + 1))
    customer_messages = Message.objects.filter(sender=Message.Sender.CUSTOMER)
    assert sorted(customer_messages.values_list("pk", flat=True)) == sorted(w.message_id for w in world.written)
    assert sorted(Message.objects.filter(sender=Message.Sender.AGENT).values_list("pk", flat=True)) == sorted(
        world.replies
    )
    bodies = Counter(Message.objects.exclude(sender=Message.Sender.SYSTEM).values_list("body", flat=True))
    assert max(bodies.values()) == 1
