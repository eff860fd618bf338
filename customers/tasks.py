"""Celery tasks for customer profiles: enrichment lookups and their sweep. Both are idempotent."""

from celery import shared_task

from customers import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def enrichment_run(enrichment_id: int) -> str:
    # acks_late is safe: a lookup that is done, or claimed by another worker, is left alone.
    return services.enrichment_process(enrichment_id=enrichment_id)


@shared_task
def enrichment_sweep() -> int:
    return services.enrichment_sweep()
