"""Every write to customer profiles: validated updates, contacts, notes, custom attributes, enrichment.

Errors are Django ``ValidationError``s keyed by field (``custom_attributes.plan`` for one attribute), which
the API renders as ``{"error": {"code": "invalid", "message", "fields"}}``.
"""

import datetime as dt
import logging
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from customers import enrichment as providers
from customers.models import (
    ContactPoint,
    CustomAttributeDefinition,
    Customer,
    CustomerActivity,
    CustomerNote,
    CustomerStatus,
    Enrichment,
)
from helpdesk.models import Agent

# A custom attribute's stored form (JSON scalars).
AttributeValue = str | int | float | bool

logger = logging.getLogger(__name__)

# Used when no status has been defined yet (a fresh database before its data migration, tests).
DEFAULT_STATUSES = [("lead", "Lead"), ("customer", "Customer"), ("vip", "VIP"), ("churned", "Churned")]
TEXT_MAX = 1000
LABEL_MAX = 50
NOTE_MAX = 10000
PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")
LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Leave room for the provider's timeout before a running lookup counts as lost.
LEASE_SLACK = dt.timedelta(seconds=60)
SWEEP_GRACE = dt.timedelta(seconds=30)

PLAIN_FIELDS = ("name", "avatar_url", "locale", "time_zone", "location", "company", "external_id")
UPDATABLE_FIELDS = (*PLAIN_FIELDS, "emails", "phones", "status", "labels", "custom_attributes")
MAX_LENGTHS = {
    "name": 200,
    "avatar_url": 500,
    "locale": 20,
    "time_zone": 64,
    "location": 200,
    "company": 200,
    "external_id": 200,
}


# --- Validation -------------------------------------------------------------------------------------


def status_choices() -> list[tuple[str, str]]:
    rows = list(CustomerStatus.objects.values_list("slug", "name"))
    return rows or DEFAULT_STATUSES


def email_clean(value: object) -> str:
    value = str(value or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(f"“{value}” is not an e-mail address.") from None
    return value


def phone_clean(value: object) -> str:
    raw = str(value or "").strip()
    cleaned = re.sub(r"[\s().\-/]", "", raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not PHONE_RE.match(cleaned):
        raise ValidationError(f"“{raw}” is not a phone number (digits, optionally starting with +).")
    return cleaned


def _plain_clean(name: str, value: object) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationError(f"{name} must be text.")
    value = str(value).strip()
    if len(value) > MAX_LENGTHS[name]:
        raise ValidationError(f"{name} can be at most {MAX_LENGTHS[name]} characters long.")
    if not value:
        return value
    if name == "time_zone" and value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone (for example Europe/Berlin).")
    if name == "locale" and not LOCALE_RE.match(value):
        raise ValidationError(f"“{value}” is not a language tag (for example de or de-DE).")
    if name == "avatar_url":
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise ValidationError(f"“{value}” is not an http(s) URL.") from None
    return value


def _list_of(name: str, value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValidationError(f"{name} must be a list.")
    return list(value)


def labels_clean(value: object) -> list[str]:
    labels: list[str] = []
    for item in _list_of("labels", value):
        if not isinstance(item, str) or not item.strip():
            raise ValidationError("Each label must be some text.")
        item = item.strip()
        if len(item) > LABEL_MAX:
            raise ValidationError(f"A label can be at most {LABEL_MAX} characters long (“{item[:20]}…”).")
        if item.lower() not in {label.lower() for label in labels}:
            labels.append(item)
    return labels


def custom_attribute_value_clean(definition: CustomAttributeDefinition, value: object) -> AttributeValue:
    """One attribute's value in its stored form, or a ValidationError that says what is expected."""
    kind = definition.type
    Type = CustomAttributeDefinition.Type
    if kind == Type.TEXT:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError(f"{definition.label} must be text.")
        value = str(value).strip()
        if len(value) > TEXT_MAX:
            raise ValidationError(f"{definition.label} can be at most {TEXT_MAX} characters long.")
        return value
    if kind == Type.NUMBER:
        if isinstance(value, bool):
            raise ValidationError(f"{definition.label} must be a number, not yes/no.")
        if isinstance(value, int | float):
            number = Decimal(str(value))
        else:
            try:
                number = Decimal(str(value).strip().replace(",", "."))
            except InvalidOperation:
                raise ValidationError(f"{definition.label} must be a number (got “{value}”).") from None
        if not number.is_finite():
            raise ValidationError(f"{definition.label} must be a finite number.")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == Type.DATE:
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(f"{definition.label} must be a date written YYYY-MM-DD (got “{value}”).") from None
    if kind == Type.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1", "y"}:
            return True
        if text in {"false", "no", "0", "n"}:
            return False
        raise ValidationError(f"{definition.label} must be yes or no (true/false; got “{value}”).")
    if kind == Type.CHOICE:
        allowed = [str(choice) for choice in definition.choices or []]
        if str(value) not in allowed:
            raise ValidationError(f"{definition.label} must be one of {', '.join(allowed)} (got “{value}”).")
        return str(value)
    raise ValidationError(f"{definition.label} has an unknown type “{kind}”.")


def custom_attributes_clean(*, values: object, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``values`` into ``current``: every key must have a definition; ``null`` removes an attribute.

    All problems are reported at once, keyed ``custom_attributes.<key>``."""
    if not isinstance(values, dict):
        raise ValidationError({"custom_attributes": ["Custom attributes must be an object of key: value."]})
    definitions = {d.key: d for d in CustomAttributeDefinition.objects.filter(key__in=list(values))}
    result = dict(current or {})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_attributes.{key}"] = [
                f"There is no custom attribute called “{key}”; supervisors define them in the admin."
            ]
            continue
        if value is None or value == "":
            result.pop(key, None)
            continue
        try:
            result[key] = custom_attribute_value_clean(definition, value)
        except ValidationError as exc:
            errors[f"custom_attributes.{key}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return result


def customer_data_clean(*, data: dict[str, Any], customer: Customer | None = None) -> dict[str, Any]:
    """Validate a partial profile; every field's problems at once."""
    if not isinstance(data, dict):
        raise ValidationError("A customer profile must be an object.")
    unknown = sorted(set(data) - set(UPDATABLE_FIELDS))
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["non_field_errors"] = [f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(UPDATABLE_FIELDS)}."]
    clean: dict[str, Any] = {}
    for name in PLAIN_FIELDS:
        if name in data:
            try:
                clean[name] = _plain_clean(name, data[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    for name, cleaner in (("emails", email_clean), ("phones", phone_clean)):
        if name in data:
            values: list[str] = []
            problems: list[str] = []
            try:
                items = _list_of(name, data[name])
            except ValidationError as exc:
                errors[name] = exc.messages
                continue
            for item in items:
                try:
                    value = cleaner(item)
                except ValidationError as exc:
                    problems += exc.messages
                    continue
                if value not in values:
                    values.append(value)
            if problems:
                errors[name] = problems
            else:
                clean[name] = values
    if "status" in data:
        slugs = [slug for slug, _ in status_choices()]
        if data["status"] not in slugs:
            errors["status"] = [f"“{data['status']}” is not a customer status; choose one of {', '.join(slugs)}."]
        else:
            clean["status"] = data["status"]
    if "labels" in data:
        try:
            clean["labels"] = labels_clean(data["labels"])
        except ValidationError as exc:
            errors["labels"] = exc.messages
    if "custom_attributes" in data:
        try:
            clean["custom_attributes"] = custom_attributes_clean(
                values=data["custom_attributes"], current=customer.custom_attributes if customer else {}
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean


# --- Profile writes ---------------------------------------------------------------------------------


def _sync_contacts(*, customer: Customer, kind: str, values: list[str]) -> list[str]:
    """Make the customer's contacts of ``kind`` exactly ``values``; returns the newly added ones."""
    existing = {c.value: c for c in ContactPoint.objects.filter(customer=customer, kind=kind)}
    added = [value for value in values if value not in existing]
    ContactPoint.objects.filter(customer=customer, kind=kind).exclude(value__in=values).delete()
    ContactPoint.objects.bulk_create([ContactPoint(customer=customer, kind=kind, value=v) for v in added])
    return added


def customer_create(*, data: dict[str, Any], actor: Agent | None = None) -> Customer:
    clean = customer_data_clean(data=data)
    with transaction.atomic():
        customer = Customer.objects.create()
        return _apply(customer=customer, clean=clean, actor=actor)


def customer_update(*, customer: Customer, data: dict[str, Any], actor: Agent | None = None) -> Customer:
    """Apply a partial profile (PATCH semantics). ``emails``/``phones`` replace the lists, the first being
    primary; ``custom_attributes`` merge, ``null`` removing one."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at:
            raise ValidationError("This customer's data was erased; the profile cannot be edited.")
        clean = customer_data_clean(data=data, customer=customer)
        return _apply(customer=customer, clean=clean, actor=actor)


def _apply(*, customer: Customer, clean: dict[str, Any], actor: Agent | None) -> Customer:
    old_status = customer.status
    for name in (*PLAIN_FIELDS, "status", "labels", "custom_attributes"):
        if name in clean:
            setattr(customer, name, clean[name])
    new_emails: list[str] = []
    if "emails" in clean:
        customer.email = clean["emails"][0] if clean["emails"] else ""
        new_emails = _sync_contacts(customer=customer, kind=ContactPoint.Kind.EMAIL, values=clean["emails"])
    if "phones" in clean:
        customer.phone = clean["phones"][0] if clean["phones"] else ""
        _sync_contacts(customer=customer, kind=ContactPoint.Kind.PHONE, values=clean["phones"])
    customer.save()
    if customer.status != old_status:
        CustomerActivity.objects.create(
            customer=customer,
            kind=CustomerActivity.Kind.STATUS_CHANGED,
            data={"from": old_status, "to": customer.status},
            actor=actor,
        )
    for email in new_emails:
        enrichment_request(customer=customer, email=email)
    return customer


def contact_add(*, customer: Customer, kind: str, value: str, verified: bool = False) -> ContactPoint:
    """Add one e-mail or phone (a channel that learned it, or a verified sign-in); the first becomes primary."""
    value = email_clean(value) if kind == ContactPoint.Kind.EMAIL else phone_clean(value)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        contact, created = ContactPoint.objects.get_or_create(customer=customer, kind=kind, value=value)
        if verified and not contact.verified:
            contact.verified = True
            contact.save(update_fields=["verified"])
        primary = "email" if kind == ContactPoint.Kind.EMAIL else "phone"
        if not getattr(customer, primary):
            setattr(customer, primary, value)
            customer.save(update_fields=[primary, "updated_at"])
        if created and kind == ContactPoint.Kind.EMAIL:
            enrichment_request(customer=customer, email=value)
    return contact


def customer_note_add(*, customer: Customer, author: Agent | None, body: str) -> CustomerNote:
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ValidationError({"body": ["A note needs some text."]})
    if len(body) > NOTE_MAX:
        raise ValidationError({"body": [f"A note can be at most {NOTE_MAX} characters long."]})
    return CustomerNote.objects.create(customer=customer, author=author, body=body)


# --- Enrichment ----------------------------------------------------------------------------------


ENRICHMENT_RUN_TASK = "customers.tasks.enrichment_run"


def _enqueue(enrichment_id: int, run_after: dt.datetime | None = None) -> None:
    # By name: customers.tasks calls this module. A web process has not imported the task modules (only a
    # worker does at start), so load them the way the worker does.
    if ENRICHMENT_RUN_TASK not in current_app.tasks:
        current_app.loader.import_default_modules()
    enrichment_run = current_app.tasks[ENRICHMENT_RUN_TASK]

    eta = run_after if run_after and run_after > timezone.now() else None
    if eta is not None and enrichment_run.app.conf.task_always_eager:
        # Inline tasks cannot wait; the sweep picks the lookup up when it is due.
        return
    # eta=None means "now" to Celery; its stubs only admit a datetime.
    enrichment_run.apply_async(args=(enrichment_id,), eta=eta)  # type: ignore[arg-type]


def enrichment_request(*, customer: Customer, email: str) -> Enrichment | None:
    """Record that ``email`` should be looked up (in the caller's transaction) and enqueue it on commit.

    One lookup per customer and e-mail; asking again for one that failed starts it afresh."""
    if not providers.enrichment_enabled() or not email:
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            item = Enrichment.objects.create(
                customer=customer, email=email, provider=settings.ENRICHMENT_PROVIDER, run_after=now
            )
    except IntegrityError:
        item = Enrichment.objects.get(customer=customer, email=email)
        if item.status != Enrichment.Status.FAILED:
            return item
        item.status, item.attempts, item.run_after, item.last_error = Enrichment.Status.PENDING, 0, now, ""
        item.save(update_fields=["status", "attempts", "run_after", "last_error"])
    transaction.on_commit(lambda: _enqueue(item.id))
    return item


def _apply_found(*, item: Enrichment, profile: dict[str, Any]) -> list[str]:
    """Fill the profile's empty fields from what was found; what agents entered always wins."""
    customer = Customer.objects.select_for_update().get(pk=item.customer_id)
    filled: list[str] = []
    for name in providers.PROFILE_FIELDS:
        value = profile.get(name)
        if not value or getattr(customer, name):
            continue
        try:
            value = _plain_clean(name, value)
        except ValidationError:
            continue
        setattr(customer, name, value)
        filled.append(name)
    if filled:
        customer.save(update_fields=[*filled, "updated_at"])
    CustomerActivity.objects.create(
        customer=customer,
        kind=CustomerActivity.Kind.ENRICHED,
        data={"email": item.email, "source": item.provider, "filled": filled},
    )
    return filled


def _cached(item: Enrichment, now: dt.datetime) -> Enrichment | None:
    return (
        Enrichment.objects.filter(
            email=item.email,
            provider=item.provider,
            status__in=[Enrichment.Status.DONE, Enrichment.Status.NOT_FOUND],
            completed_at__gte=now - dt.timedelta(days=settings.ENRICHMENT_CACHE_DAYS),
        )
        .exclude(pk=item.pk)
        .order_by("-completed_at")
        .first()
    )


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def enrichment_process(*, enrichment_id: int) -> str:
    """Carry out one lookup. Safe to run twice or concurrently: the row is claimed before the provider is
    asked, and the HTTP call happens outside any transaction so a slow provider holds no locks."""
    now = timezone.now()
    with transaction.atomic():
        item = Enrichment.objects.select_for_update(skip_locked=True).filter(pk=enrichment_id).first()
        if item is None:
            return "busy-or-missing"
        if item.status == Enrichment.Status.RUNNING and item.lease_until and item.lease_until > now:
            return "busy"
        if item.status not in (Enrichment.Status.PENDING, Enrichment.Status.RUNNING):
            return item.status
        if item.run_after > now:
            due_id, due_at = item.id, item.run_after
            transaction.on_commit(lambda: _enqueue(due_id, due_at))
            return "not-due"
        cached = _cached(item, now)
        if cached is not None:
            item.status, item.data, item.cached_from = cached.status, cached.data, cached
            item.completed_at, item.last_error, item.lease_until = now, "", None
            item.save()
            if cached.status == Enrichment.Status.DONE:
                _apply_found(item=item, profile=cached.data.get("profile", {}))
            return "cached"
        item.status = Enrichment.Status.RUNNING
        item.lease_until = now + dt.timedelta(seconds=settings.ENRICHMENT_TIMEOUT) + LEASE_SLACK
        item.save(update_fields=["status", "lease_until"])

    outcome, found, error, wait, permanent = "", None, "", None, False
    try:
        provider = providers.get_provider()
        found = provider.lookup(item.email)
        outcome = "done"
    except providers.NotFound:
        outcome = "not_found"
    except providers.RetryAfter as exc:
        outcome, error, wait = "later", str(exc), exc.seconds
    except providers.LookupError_ as exc:
        outcome, error, permanent = "error", str(exc), exc.permanent
    except Exception as exc:  # noqa: BLE001 - a provider bug must not lose the lookup; it is retried and shown
        logger.exception("enrichment %s failed", item.pk)
        outcome, error = "error", f"Unexpected error: {type(exc).__name__}: {exc}"

    retry_at = None
    now = timezone.now()
    with transaction.atomic():
        item = Enrichment.objects.select_for_update().filter(pk=enrichment_id, status=Enrichment.Status.RUNNING).first()
        if item is None:  # erased or merged away meanwhile
            return "gone"
        item.lease_until = None
        if outcome == "done":
            assert found is not None
            item.status, item.completed_at, item.last_error = Enrichment.Status.DONE, now, ""
            item.data = {"profile": found.profile, "raw": found.raw}
            item.save()
            _apply_found(item=item, profile=found.profile)
        elif outcome == "not_found":
            item.status, item.completed_at, item.last_error, item.data = Enrichment.Status.NOT_FOUND, now, "", {}
            item.save()
        elif outcome == "later":
            item.status, item.last_error = Enrichment.Status.PENDING, error[:2000]
            assert wait is not None
            item.run_after = retry_at = now + dt.timedelta(seconds=wait)
            item.save()
        else:
            item.attempts += 1
            item.last_error = error[:2000]
            if permanent or item.attempts >= settings.ENRICHMENT_MAX_ATTEMPTS:
                item.status, item.completed_at = Enrichment.Status.FAILED, now
                outcome = "failed"
            else:
                item.status = Enrichment.Status.PENDING
                item.run_after = retry_at = now + _backoff(item.attempts)
                outcome = "retry"
            item.save()
    if retry_at is not None:
        _enqueue(enrichment_id, retry_at)
    return outcome


def enrichment_sweep(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Hand out lookups whose task was lost, take back ones whose worker died, and request lookups for
    e-mails that reached a profile without going through these services. Idempotent."""
    now = now or timezone.now()
    Enrichment.objects.filter(status=Enrichment.Status.RUNNING, lease_until__lt=now).update(
        status=Enrichment.Status.PENDING, lease_until=None
    )
    if providers.enrichment_enabled():
        missing = (
            Customer.objects.filter(erased_at__isnull=True)
            .exclude(email="")
            .exclude(enrichments__email=F("email"))
            .values_list("id", "email")[:limit]
        )
        with transaction.atomic():
            for customer_id, email in missing:
                enrichment_request(customer=Customer(pk=customer_id), email=email)
    ids = list(
        Enrichment.objects.filter(status=Enrichment.Status.PENDING, run_after__lte=now - SWEEP_GRACE)
        .order_by("run_after")
        .values_list("id", flat=True)[:limit]
    )
    for item_id in ids:
        _enqueue(item_id)
    return len(ids)
