"""Celery task for customer profiles that needs conversations: merging profiles that share a verified address."""

from celery import shared_task

from customers.profiles.services.merge import customer_merge_verified_duplicates


@shared_task
def customer_merge_sweep() -> int:
    # Verified addresses arrive from several channels' code; one sweep merges whatever now matches.
    return len(customer_merge_verified_duplicates())
