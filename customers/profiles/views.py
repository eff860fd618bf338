"""The customer profile page and the forms on it (edit, notes, merge)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from customers import services as customer_services
from customers.models import Customer
from customers.profiles import selectors
from customers.profiles.services.merge import customer_merge
from customers.selectors import custom_attribute_definitions, customer_get, customer_latest_enrichment
from helpdesk.errors import ApplicationError


def _customer_or_404(customer_id: int) -> Customer:
    customer = customer_get(customer_id=customer_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def _context(request, customer: Customer) -> dict:
    history = selectors.customer_history_list(agent=request.user, customer=customer)
    for conv in history:
        # Read by the template only; not a model field.
        conv.first_response_display = duration_text(conv.first_response_seconds)  # type: ignore[attr-defined]
    definitions = custom_attribute_definitions()
    labels = {d.key: d.label for d in definitions}
    attributes = [
        {"key": key, "label": labels.get(key, key), "value": value} for key, value in customer.custom_attributes.items()
    ]
    return {
        "customer": customer,
        "history": history,
        "hidden_conversations": selectors.customer_conversation_count(customer=customer) - len(history),
        "channels": selectors.customer_channels_used(customer=customer),
        "attributes": attributes,
        "enrichment": customer_latest_enrichment(customer),
        "status_name": dict(customer_services.status_choices()).get(customer.status, customer.status),
    }


@login_required
@require_GET
def customer_profile(request, customer_id: int):
    customer = _customer_or_404(customer_id)
    context = _context(request, customer)
    context["timeline"] = selectors.customer_timeline(agent=request.user, customer=customer)
    context["duplicates"] = selectors.customer_duplicate_list(customer=customer)
    return render(request, "customers/profile.html", context)


def _lines(value: str) -> list[str]:
    return [item.strip() for item in value.replace(",", "\n").splitlines() if item.strip()]


def _form_data(post, definitions) -> dict:
    """The edit form's fields as a profile update; empty custom attributes are removed."""
    data = {name: post.get(name, "") for name in ("name", "company", "location", "locale", "time_zone", "avatar_url")}
    data["status"] = post.get("status", "")
    data["emails"] = _lines(post.get("emails", ""))
    data["phones"] = _lines(post.get("phones", ""))
    data["labels"] = _lines(post.get("labels", ""))
    attributes = {}
    for definition in definitions:
        field = f"attr_{definition.key}"
        if definition.type == "boolean":
            attributes[definition.key] = post.get(field) or None
        else:
            attributes[definition.key] = post.get(field, "").strip() or None
    if attributes:
        data["custom_attributes"] = attributes
    return data


@login_required
def customer_edit(request, customer_id: int):
    customer = _customer_or_404(customer_id)
    if customer.erased_at:
        raise Http404("This customer's data was erased.")
    definitions = custom_attribute_definitions()
    errors: dict = {}
    values = None
    if request.method == "POST":
        values = _form_data(request.POST, definitions)
        try:
            customer_services.customer_update(customer=customer, data=values, actor=request.user)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        else:
            messages.success(request, "Profile saved.")
            return redirect("customers:profile", customer_id=customer.id)
    current = values or {
        "name": customer.name,
        "company": customer.company,
        "location": customer.location,
        "locale": customer.locale,
        "time_zone": customer.time_zone,
        "avatar_url": customer.avatar_url,
        "status": customer.status,
        "emails": customer.emails,
        "phones": customer.phones,
        "labels": customer.labels,
        "custom_attributes": customer.custom_attributes,
    }
    attributes = current.get("custom_attributes") or {}
    fields = [
        {
            "definition": d,
            "name": f"attr_{d.key}",
            "value": "" if attributes.get(d.key) is None else attributes.get(d.key),
            "errors": errors.get(f"custom_attributes.{d.key}", []),
        }
        for d in definitions
    ]
    context = {
        "customer": customer,
        "values": {**current, **{k: "\n".join(current[k]) for k in ("emails", "phones", "labels")}},
        "errors": errors,
        "attribute_fields": fields,
        "statuses": customer_services.status_choices(),
    }
    return render(request, "customers/edit.html", context, status=400 if errors else 200)


@login_required
@require_POST
def customer_note_create(request, customer_id: int):
    customer = _customer_or_404(customer_id)
    try:
        customer_services.customer_note_add(customer=customer, author=request.user, body=request.POST.get("body", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Note added.")
    return redirect("customers:profile", customer_id=customer.id)


@login_required
@require_POST
def customer_merge_create(request, customer_id: int):
    target = _customer_or_404(customer_id)
    try:
        source = customer_get(customer_id=int(request.POST.get("source_id", "")))
    except ValueError:
        source = None
    if source is None:
        messages.error(request, "Choose the profile to merge into this one by its number.")
        return redirect("customers:profile", customer_id=target.id)
    try:
        audit = customer_merge(target=target, source=source, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        moved = len(audit.moved.get("conversations", []))
        messages.success(request, f"Profile #{audit.source_id} merged into this one ({moved} conversations moved).")
    return redirect("customers:profile", customer_id=target.id)
