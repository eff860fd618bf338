"""Reads of customer profiles for agents: search, one profile with everything it shows, in few queries."""

from django.db.models import Prefetch, Q, QuerySet

from customers.models import ContactPoint, CustomAttributeDefinition, Customer, CustomerNote, Enrichment

MAX_PAGE = 200


def customer_list(
    *, query: str = "", status: str = "", before_id: int | None = None, limit: int = 50
) -> list[Customer]:
    """Newest first, keyset-paged by id; ``query`` matches name, any e-mail or phone, company, external id."""
    limit = max(1, min(int(limit), MAX_PAGE))
    qs: QuerySet[Customer] = Customer.objects.all()
    query = (query or "").strip()
    if query:
        matching_contacts = ContactPoint.objects.filter(value__icontains=query.lower()).values("customer_id")
        qs = qs.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
            | Q(company__icontains=query)
            | Q(external_id=query)
            | Q(id__in=matching_contacts)
        )
    if status:
        qs = qs.filter(status=status)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return list(qs.prefetch_related("contacts").order_by("-id")[:limit])


def customer_get(*, customer_id: int) -> Customer | None:
    """One profile with its contacts, identities, notes (with authors) and lookups prefetched."""
    return (
        Customer.objects.filter(pk=customer_id)
        .prefetch_related(
            "contacts",
            "identities",
            Prefetch("notes", queryset=CustomerNote.objects.select_related("author")),
            Prefetch("enrichments", queryset=Enrichment.objects.order_by("-requested_at", "-id")),
        )
        .first()
    )


def customer_latest_enrichment(customer: Customer) -> Enrichment | None:
    """The lookup to show on the profile (uses the prefetch from ``customer_get``)."""
    items = list(customer.enrichments.all())
    return items[0] if items else None


def custom_attribute_definitions() -> list[CustomAttributeDefinition]:
    return list(CustomAttributeDefinition.objects.all())
