"""The agents' event log: a gapless, commit-ordered sequence of what changed, for live updates and catch-up."""

from django.db import connection, transaction

from conversations import realtime
from conversations.models import Conversation, Event, EventCounter


def _next_event_seq() -> int:
    # The UPDATE takes the counter's row lock until commit, so numbers are handed out in commit order and
    # a reader that has seen N has seen everything up to N. Take it last in a transaction, in one round
    # trip: every statement while it is held makes every other writer wait.
    table = connection.ops.quote_name(EventCounter._meta.db_table)
    sql = f"UPDATE {table} SET value = value + 1 WHERE id = 1 RETURNING value"  # noqa: S608 - no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            EventCounter.objects.get_or_create(pk=1, defaults={"value": 0})
            cursor.execute(sql)
            row = cursor.fetchone()
    return row[0]


def event_emit(
    *,
    type: str,
    payload: dict,
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
    event = Event.objects.create(
        seq=_next_event_seq(),
        type=type,
        conversation=conversation,
        team_id=team_id,
        assignee_id=assignee_id,
        agent_id=agent_id,
        payload=payload,
    )
    transaction.on_commit(lambda: realtime.broadcast_event(event))
    return event
