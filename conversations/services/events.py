"""The agents' event log: a gapless, commit-ordered sequence of what changed, for live updates and catch-up."""

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.db import connection, transaction

from conversations import realtime
from conversations.models import Conversation, Event, EventCounter


def _take_event_seqs(count: int = 1) -> int:
    """Reserve ``count`` consecutive seqs; returns the last.

    The UPDATE takes the counter's row lock until commit, so numbers are handed out in commit order and
    a reader that has seen N has seen everything up to N. Take it last in a transaction, in one round
    trip: every statement while it is held makes every other writer wait."""
    table = connection.ops.quote_name(EventCounter._meta.db_table)
    sql = f"UPDATE {table} SET value = value + %s WHERE id = 1 RETURNING value"  # noqa: S608 - no input
    with connection.cursor() as cursor:
        cursor.execute(sql, [count])
        row = cursor.fetchone()
        if row is None:
            EventCounter.objects.get_or_create(pk=1, defaults={"value": 0})
            cursor.execute(sql, [count])
            row = cursor.fetchone()
    seq: int = row[0]
    return seq


def _next_event_seq() -> int:
    return _take_event_seqs(1)


_held = threading.local()


@contextmanager
def events_at_end() -> Iterator[None]:
    """Log the events emitted inside the block when it ends, taking the counter once for all of them.

    For a write path that emits an event early (a new conversation, then its first message): without it,
    the counter would stay locked, and every other writer waiting, for the rest of the transaction. Use
    it as the last thing inside ``transaction.atomic()``, around a block whose savepoints, if any roll
    back, emitted no events. An exception discards the held events along with the transaction."""
    if getattr(_held, "events", None) is not None:
        yield  # nested: the outer block logs them
        return
    pending: list[Event] = []
    _held.events = pending
    try:
        yield
    finally:
        _held.events = None
    if pending:
        last = _take_event_seqs(len(pending))
        for offset, event in enumerate(pending):
            event.seq = last - len(pending) + 1 + offset
        Event.objects.bulk_create(pending)
        for event in pending:
            transaction.on_commit(partial(realtime.broadcast_event, event))


def event_emit(
    *,
    type: str,
    payload: Mapping[str, Any],
    conversation: Conversation | None = None,
    agent_id: int | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
) -> Event:
    """Log an event in the current transaction and broadcast it after commit.

    The audience defaults to the conversation's team and assignee; pass ``agent_id`` for a personal event,
    or ``team_id``/``assignee_id`` to address the audience a conversation had before a change.
    """
    if conversation is not None and agent_id is None:
        team_id = conversation.team_id if team_id is None else team_id
        assignee_id = conversation.assignee_id if assignee_id is None else assignee_id
    event = Event(
        type=type,
        conversation=conversation,
        team_id=team_id,
        assignee_id=assignee_id,
        agent_id=agent_id,
        payload=payload,
    )
    held = getattr(_held, "events", None)
    if held is not None:
        held.append(event)  # logged, with its seq, when events_at_end's block ends
        return event
    event.seq = _next_event_seq()
    event.save(force_insert=True)
    transaction.on_commit(lambda: realtime.broadcast_event(event))
    return event
