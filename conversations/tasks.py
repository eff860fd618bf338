"""The outbox's tasks, and the one table of who carries out each kind of intent. Every task is idempotent."""

from celery import shared_task

from conversations.away.services import away_reply_send
from conversations.chat.email_fallback import email_fallback_send
from conversations.connectors.delivery import delivery_run
from conversations.services import outbox

# Every kind of outbox intent and the function that carries it out, inside the item's transaction.
OUTBOX_HANDLERS: dict[str, outbox.Handler] = {
    outbox.DELIVER: delivery_run,
    outbox.AWAY_REPLY: away_reply_send,
    outbox.EMAIL_FALLBACK: email_fallback_send,
}


@shared_task(name=outbox.OUTBOX_RUN_TASK, acks_late=True, reject_on_worker_lost=True)
def outbox_run(item_id: int) -> str:
    # acks_late is safe: outbox_process does nothing for an item already done.
    return outbox.outbox_process(item_id=item_id, handlers=OUTBOX_HANDLERS)


@shared_task
def outbox_sweep() -> int:
    return outbox.outbox_sweep()
