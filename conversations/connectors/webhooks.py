"""Inbound webhooks from messaging platforms: authenticate, parse, hand to the inbound service.

One URL per inbox (``/hooks/<kind>/<inbox slug>/``), so each platform app is checked against its own
secrets. Every request is verified before anything is read; a bad signature answers 403 and stores nothing.
"""

import gzip
import json
import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from conversations import messaging
from conversations.connectors import apple, messenger, meta, whatsapp
from conversations.connectors.inbound import customer_for_address, inbound_status_apply
from conversations.models import Inbox
from helpdesk import ratelimit
from helpdesk.errors import ApplicationError, json_error

logger = logging.getLogger(__name__)


def _rate_limited(request, slug: str) -> JsonResponse | None:
    """A limit per inbox and client address, so a flood cannot starve the workers."""
    try:
        ratelimit.check([("inbound_webhook", f"{slug}:{ratelimit.client_ip(request.META)}")], what="webhook requests")
    except ratelimit.RateLimited as exc:
        return ratelimit.response(exc)
    return None


def _inbox(slug: str, kind: str) -> Inbox | None:
    return Inbox.objects.filter(slug=slug, kind=kind, is_active=True).first()


def _store(inbox: Inbox, messages, statuses) -> dict:
    stored = 0
    for item in messages:
        try:
            customer = customer_for_address(kind=inbox.kind, address=item.address, name=item.name)
            received = messaging.customer_message_receive(
                inbox=inbox,
                customer=customer,
                body=item.body,
                external_id=item.external_id,
                meta={**item.meta, "channel": inbox.kind},
                new_conversation_context={"channel": inbox.kind},
            )
            stored += received.created
        except ApplicationError as exc:  # an empty or oversized message: keep going with the rest
            logger.warning("inbound %s message %s refused: %s", inbox.kind, item.external_id, exc.message)
    updated = sum(inbound_status_apply(inbox=inbox, item=item) for item in statuses)
    return {"ok": True, "stored": stored, "statuses": updated}


def _meta_webhook(request, slug: str, kind: str, parse, routing_key: str):
    inbox = _inbox(slug, kind)
    if inbox is None:
        return json_error("not_found", f"No active {kind} inbox called {slug!r}.", 404)
    if request.method == "GET":
        return meta.verification_response(request, inbox.settings.get("verify_token", ""))
    if limited := _rate_limited(request, slug):
        return limited
    if not meta.signature_ok(request, inbox.settings.get("app_secret", "")):
        return json_error("bad_signature", "X-Hub-Signature-256 does not match this inbox's app secret.", 403)
    try:
        payload = json.loads(request.body)
    except ValueError:
        return json_error("bad_json", "The body is not JSON.", 400)
    messages, statuses = parse(payload, **{routing_key: inbox.external_id})
    return JsonResponse(_store(inbox, messages, statuses))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request, slug: str):
    return _meta_webhook(request, slug, "whatsapp", whatsapp.parse, "phone_number_id")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger_webhook(request, slug: str):
    return _meta_webhook(request, slug, "messenger", messenger.parse, "page_id")


@csrf_exempt
@require_http_methods(["POST"])
def apple_webhook(request, slug: str):
    inbox = _inbox(slug, "apple")
    if inbox is None:
        return json_error("not_found", f"No active apple inbox called {slug!r}.", 404)
    if limited := _rate_limited(request, slug):
        return limited
    auth = request.headers.get("Authorization", "")
    token = auth[7:] if auth.startswith("Bearer ") else ""
    if not apple.jwt_valid(
        token, msp_id=inbox.settings.get("msp_id", ""), api_secret=inbox.settings.get("api_secret", "")
    ):
        return json_error("bad_signature", "The Authorization token is not valid for this inbox.", 403)
    if request.headers.get("destination-id") and request.headers["destination-id"] != inbox.external_id:
        return json_error("wrong_destination", "destination-id is not this inbox's business id.", 400)
    try:
        item = apple.parse(request.body, request.headers)
    except apple.BodyTooLarge as exc:
        return json_error("too_large", f"The body is too large: {exc}.", 413)
    except (ValueError, OSError, gzip.BadGzipFile) as exc:
        return json_error("bad_body", f"The body is not gzip or JSON Apple Messages payload: {exc}", 400)
    return JsonResponse(_store(inbox, [item] if item else [], []))
