"""Who is on the chat page: anonymous visitors (signed cookie + server record), company-verified identities
(HMAC tokens signed with the inbox secret) and e-mailed resume links."""

import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from conversations.models import Conversation, Inbox, Visitor
from customers.models import ChannelIdentity, ChannelKind, Customer
from helpdesk import signing
from helpdesk.errors import ApplicationError

COOKIE_SALT = "conversations.chat.visitor"
RESUME_SALT = "conversations.chat.resume"
REPLY_SALT = "conversations.chat.reply-to"
# Verified-identity tokens are meant to be minted per page view; a longer promise is a leaked token.
IDENTITY_MAX_LIFETIME = timedelta(days=1)


class IdentityError(ApplicationError):
    def __init__(self, message: str, *, code: str = "identity_invalid"):
        super().__init__(message, code=code, status_code=401)


def cookie_name(inbox: Inbox) -> str:
    return f"hdchat_{inbox.pk}"


def cookie_value(visitor: Visitor) -> str:
    return signing.timestamp_sign(visitor.key, salt=COOKIE_SALT)


def cookie_max_age() -> int:
    return settings.CHAT_VISITOR_DAYS * 86400


def visitor_from_cookie(*, inbox: Inbox, value: str | None) -> Visitor:
    """The visitor behind a cookie value, or IdentityError saying why not."""
    if not value:
        raise IdentityError("No chat session yet: open the chat page to start one.", code="identity_missing")
    try:
        key = signing.timestamp_unsign(value, salt=COOKIE_SALT, max_age=cookie_max_age())
    except signing.SignatureExpired:
        raise IdentityError(
            "Your chat session has expired. Reload the page to start a new one.", code="identity_expired"
        ) from None
    except signing.BadSignature:
        raise IdentityError(
            "Your chat session is not valid. Reload the page to start a new one.", code="identity_invalid"
        ) from None
    visitor = Visitor.objects.select_related("customer", "inbox").filter(key=key, inbox=inbox).first()
    if visitor is None or visitor.revoked:
        raise IdentityError("Your chat session was ended. Reload the page to start a new one.")
    if visitor.expires_at <= timezone.now():
        raise IdentityError(
            "Your chat session has expired. Reload the page to start a new one.", code="identity_expired"
        )
    return visitor


def visitor_touch(*, visitor: Visitor) -> None:
    """Keep an active visitor alive; written at most once an hour so page views stay read-only."""
    now = timezone.now()
    if visitor.last_seen_at and now - visitor.last_seen_at < timedelta(hours=1):
        return
    visitor.last_seen_at = now
    visitor.expires_at = now + timedelta(days=settings.CHAT_VISITOR_DAYS)
    Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=now, expires_at=visitor.expires_at)
    Customer.objects.filter(pk=visitor.customer_id).update(last_seen_at=now)


def visitor_create(*, inbox: Inbox, customer: Customer | None = None, verified: bool = False) -> Visitor:
    with transaction.atomic():
        if customer is None:
            customer = Customer.objects.create(last_seen_at=timezone.now())
        key = secrets.token_urlsafe(32)
        visitor = Visitor.objects.create(
            key=key,
            inbox=inbox,
            customer=customer,
            verified=verified,
            expires_at=timezone.now() + timedelta(days=settings.CHAT_VISITOR_DAYS),
            last_seen_at=timezone.now(),
        )
        # The profile lists the browser by its record, never by the key behind the cookie.
        ChannelIdentity.objects.get_or_create(
            kind=ChannelKind.WEBCHAT, address=f"visitor:{visitor.pk}", defaults={"customer": customer}
        )
    return visitor


# --- Verified identities -------------------------------------------------------------------------


def identity_token_make(*, inbox: Inbox, external_id: str, ttl_seconds: int = 600, **claims) -> str:
    """What a company's backend does (in any language) to vouch for a signed-in user:
    ``base64url(json) + "." + base64url(HMAC-SHA256(inbox secret, base64url(json)))``."""
    payload = {"sub": str(external_id), "exp": int(time.time()) + ttl_seconds, **claims}
    body = signing.b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{signing.hmac_sha256_b64url(inbox.secret, body)}"


@dataclass(frozen=True)
class VerifiedIdentity:
    external_id: str
    name: str
    email: str


def identity_token_verify(*, inbox: Inbox, token: str) -> VerifiedIdentity:
    body, _, mac = (token or "").partition(".")
    try:
        given = signing.b64url_decode(mac)
        valid = bool(body) and signing.equal(given, signing.hmac_sha256(inbox.secret, body))
        payload = json.loads(signing.b64url_decode(body)) if valid else None
    except (ValueError, TypeError):
        valid, payload = False, None
    if not valid or not isinstance(payload, dict):
        raise IdentityError("This sign-in link is not valid for this chat.", code="identity_invalid")
    exp, sub = payload.get("exp"), payload.get("sub")
    if not isinstance(exp, int) or not isinstance(sub, str) or not sub:
        raise IdentityError("The identity token needs a 'sub' and an integer 'exp'.", code="identity_invalid")
    now = time.time()
    if exp <= now:
        raise IdentityError("This sign-in link has expired. Go back and open the chat again.", code="identity_expired")
    if exp > now + IDENTITY_MAX_LIFETIME.total_seconds():
        raise IdentityError("The identity token lives too long (at most a day).", code="identity_invalid")
    return VerifiedIdentity(
        external_id=sub[:200], name=str(payload.get("name", ""))[:200], email=str(payload.get("email", ""))[:254]
    )


def visitor_for_verified(*, inbox: Inbox, identity: VerifiedIdentity) -> Visitor:
    """A new device session for the customer the company vouched for; their conversations come along."""
    with transaction.atomic():
        customer = Customer.objects.filter(external_id=identity.external_id).order_by("pk").first()
        if customer is None:
            customer = Customer.objects.create(external_id=identity.external_id)
        updates = {}
        if identity.name and customer.name != identity.name:
            updates["name"] = identity.name
        if identity.email and customer.email != identity.email:
            updates["email"] = identity.email
        if updates:
            Customer.objects.filter(pk=customer.pk).update(**updates)
            for field, value in updates.items():
                setattr(customer, field, value)
        return visitor_create(inbox=inbox, customer=customer, verified=True)


# --- Resume links and reply-to addresses ---------------------------------------------------------


def resume_token_make(*, conversation: Conversation) -> str:
    return signing.dumps(
        {"c": conversation.pk, "u": conversation.customer_id, "i": conversation.inbox_id}, salt=RESUME_SALT
    )


def resume_token_read(*, inbox: Inbox, token: str) -> Conversation:
    try:
        data = signing.loads(token, salt=RESUME_SALT, max_age=settings.CHAT_RESUME_LINK_DAYS * 86400)
    except signing.SignatureExpired:
        raise IdentityError(
            "This link has expired. Open the chat again and we will find your conversation by e-mail.",
            code="identity_expired",
        ) from None
    except signing.BadSignature:
        raise IdentityError("This link is not valid.", code="identity_invalid") from None
    conversation = (
        Conversation.objects.select_related("customer")
        # An erased customer's links die with their data: the agents' replies may quote it.
        .filter(pk=data.get("c"), customer_id=data.get("u"), inbox=inbox, customer__erased_at__isnull=True)
        .first()
    )
    if conversation is None:
        raise IdentityError("This link is not valid for this chat.", code="identity_invalid")
    return conversation


def _reply_mac(conversation_id: int) -> str:
    # Lower-case hex survives mail systems that fold the case of local parts; 80 bits are plenty to guess.
    return signing.hmac_sha256_hex(signing.derived_key(REPLY_SALT), str(conversation_id))[:20]


def reply_address(*, conversation: Conversation) -> str:
    return f"reply+{conversation.pk}-{_reply_mac(conversation.pk)}@{settings.REPLY_DOMAIN}"


def conversation_id_from_reply_address(address: str) -> int | None:
    """The conversation a reply-to address stands for, or None if it is not one of ours or forged."""
    local, _, domain = (address or "").strip().strip("<>").rpartition("@")
    if domain.lower() != settings.REPLY_DOMAIN.lower() or not local.lower().startswith("reply+"):
        return None
    raw_id, _, mac = local[len("reply+") :].partition("-")
    if not raw_id.isdigit() or not signing.equal(mac.lower(), _reply_mac(int(raw_id))):
        return None
    return int(raw_id)
