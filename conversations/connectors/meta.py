"""What WhatsApp and Messenger share, both being Meta webhooks: the verify-token handshake, the
X-Hub-Signature-256 check over the raw body, and Graph API error handling."""

from django.http import HttpResponse

from conversations.connectors.base import DeliveryError
from helpdesk import signing
from helpdesk.errors import json_error

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_for(app_secret: str, body: bytes) -> str:
    return signing.sha256_header(app_secret, body)


def signature_ok(request, app_secret: str) -> bool:
    return signing.sha256_header_valid(app_secret, request.body, request.headers.get(SIGNATURE_HEADER, ""))


def verification_response(request, verify_token: str):
    """Answer Meta's GET handshake: echo hub.challenge when hub.verify_token matches."""
    mode = request.GET.get("hub.mode")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if mode == "subscribe" and verify_token and signing.equal(token, verify_token):
        return HttpResponse(challenge, content_type="text/plain")
    return json_error("verification_failed", "hub.verify_token does not match this inbox's verify token.", 403)


def require(settings: dict, *names: str) -> list[str]:
    missing = [name for name in names if not settings.get(name)]
    if missing:
        raise DeliveryError(f"inbox settings lack {', '.join(missing)}")
    return [settings[name] for name in names]
