"""The hosted chat page, its JSON endpoints (the HTTP fallback of the socket), resume links and inbound mail.

Every endpoint is scoped to the visitor behind the signed cookie; writes need the CSRF token the page holds."""

import base64
import functools
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conversations import messaging, payloads
from conversations.chat import identity, throttles
from conversations.chat import selectors as chat_selectors
from conversations.chat import services as chat_services
from conversations.chat.mail import parse_inbound
from conversations.models import Conversation, Inbox
from customers.models import ChannelKind
from helpdesk import ratelimit, signing
from helpdesk.errors import ApplicationError, json_error, whole_number

logger = logging.getLogger(__name__)


def _inbox(slug: str) -> Inbox:
    return get_object_or_404(Inbox, slug=slug, kind=ChannelKind.WEBCHAT, is_active=True)


def _error_response(exc: ApplicationError) -> JsonResponse:
    if isinstance(exc, ratelimit.RateLimited):
        return ratelimit.response(exc)
    return json_error(exc.code, exc.message, exc.status_code, exc.fields)


def chat_api(view):
    """Resolve the inbox and the visitor from the cookie; render ApplicationError as the JSON error body."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, inbox_slug: str, **kwargs):
        inbox = _inbox(inbox_slug)
        try:
            visitor = identity.visitor_from_cookie(inbox=inbox, value=request.COOKIES.get(identity.cookie_name(inbox)))
            return view(request, visitor, **kwargs)
        except ApplicationError as exc:
            return _error_response(exc)

    return wrapper


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ApplicationError("The request body must be JSON.", code="bad_json") from None
    if not isinstance(data, dict):
        raise ApplicationError("The request body must be a JSON object.", code="bad_json")
    return data


def _csp(inbox: Inbox, request: HttpRequest) -> str:
    ancestors = " ".join(["'self'", *[o for o in inbox.settings.get("embed_origins", []) if isinstance(o, str)]])
    scheme = "wss" if request.is_secure() else "ws"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {scheme}://{request.get_host()}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


def _set_visitor_cookie(response: HttpResponse, inbox: Inbox, visitor) -> None:
    # Embedded on a company's site the page is a third-party frame, which only gets its cookie with
    # SameSite=None, and browsers allow that only over HTTPS.
    response.set_cookie(
        identity.cookie_name(inbox),
        identity.cookie_value(visitor),
        max_age=identity.cookie_max_age(),
        httponly=True,
        secure=settings.HTTPS,
        samesite="None" if settings.HTTPS else "Lax",
    )


def _current_visitor(request: HttpRequest, inbox: Inbox):
    try:
        return identity.visitor_from_cookie(inbox=inbox, value=request.COOKIES.get(identity.cookie_name(inbox)))
    except identity.IdentityError:
        return None


@require_GET
@ensure_csrf_cookie
@xframe_options_exempt
def chat_page(request: HttpRequest, inbox_slug: str) -> HttpResponse:
    inbox = _inbox(inbox_slug)
    notice = ""
    token_is_new = False
    token = request.GET.get("identity")
    if token:
        try:
            verified = identity.identity_token_verify(inbox=inbox, token=token)
        except identity.IdentityError as exc:
            response = render(
                request, "conversations/chat/refused.html", {"inbox": inbox, "message": exc.message}, status=401
            )
            response["Content-Security-Policy"] = _csp(inbox, request)
            return response
        visitor = _current_visitor(request, inbox)
        # A site that passes the token on every page view keeps one session per browser, not one per view.
        if visitor is None:
            visitor = identity.visitor_for_verified(inbox=inbox, identity=verified)
            token_is_new = True
        elif not visitor.verified or visitor.customer.external_id != verified.external_id:
            # A link must not swap the chat open in this browser for someone else's (a link carrying the
            # sender's own token would put the visitor's next message in the sender's conversation).
            response = render(
                request,
                "conversations/chat/confirm_identity.html",
                {"inbox": inbox, "verified": verified, "token": token},
            )
            response["Content-Security-Policy"] = _csp(inbox, request)
            response["Cache-Control"] = "no-store"
            return response
        else:
            identity.visitor_touch(visitor=visitor)
    else:
        cookie = request.COOKIES.get(identity.cookie_name(inbox))
        try:
            visitor = identity.visitor_from_cookie(inbox=inbox, value=cookie)
            identity.visitor_touch(visitor=visitor)
        except identity.IdentityError as exc:
            if cookie:
                notice = exc.message.replace("Reload the page to start a new one.", "A new one has started.")
            # Every new session is a customer row: a script without cookies must not mint them freely.
            try:
                ratelimit.check([("anon", ratelimit.client_ip(request.META))], what="new chat sessions")
            except ratelimit.RateLimited as limited:
                response = render(
                    request, "conversations/chat/refused.html", {"inbox": inbox, "message": limited.message}, status=429
                )
                response["Retry-After"] = str(limited.retry_after)
                return response
            visitor = identity.visitor_create(inbox=inbox)
    conversations = chat_selectors.chat_conversation_list(visitor=visitor)
    boot = {
        "inbox": {"slug": inbox.slug, "name": inbox.name},
        "urls": {
            "base": reverse("chat:page", args=[inbox.slug]),
            "state": reverse("chat:state", args=[inbox.slug]),
            "messages": reverse("chat:messages", args=[inbox.slug]),
            "profile": reverse("chat:profile", args=[inbox.slug]),
            "socket": f"/ws/chat/{inbox.slug}/",
        },
        "customer": {"name": visitor.customer.name, "email": visitor.customer.email, "verified": visitor.verified},
        "conversations": [payloads.customer_conversation_payload(c) for c in conversations],
        "availability": chat_selectors.chat_availability(inbox=inbox),
        "max_chars": settings.MESSAGE_MAX_CHARS,
        "notice": notice,
        "embedded": request.GET.get("embed") == "1",
        "context": {"page_url": request.GET.get("page_url", ""), "referrer": request.GET.get("referrer", "")},
    }
    response = render(
        request,
        "conversations/chat/page.html",
        {"inbox": inbox, "boot": boot, "greeting": inbox.settings.get("greeting", "")},
    )
    response["Content-Security-Policy"] = _csp(inbox, request)
    response["Cache-Control"] = "no-store"
    if (token and token_is_new) or notice or identity.cookie_name(inbox) not in request.COOKIES:
        _set_visitor_cookie(response, inbox, visitor)
    return response


@require_GET
def chat_resume(request: HttpRequest, inbox_slug: str, token: str) -> HttpResponse:
    """The e-mailed link: a new session for the conversation's customer on this browser, then the page."""
    inbox = _inbox(inbox_slug)
    try:
        conversation = identity.resume_token_read(inbox=inbox, token=token)
    except identity.IdentityError as exc:
        return render(request, "conversations/chat/refused.html", {"inbox": inbox, "message": exc.message}, status=401)
    visitor = identity.visitor_create(inbox=inbox, customer=conversation.customer)
    response = redirect(reverse("chat:page", args=[inbox.slug]) + f"?conversation={conversation.pk}")
    _set_visitor_cookie(response, inbox, visitor)
    return response


@require_POST
def chat_identity_confirm(request: HttpRequest, inbox_slug: str) -> HttpResponse:
    """The visitor chose to continue as the identity a link carried (a form with a CSRF token)."""
    inbox = _inbox(inbox_slug)
    try:
        verified = identity.identity_token_verify(inbox=inbox, token=request.POST.get("identity", ""))
    except identity.IdentityError as exc:
        return render(request, "conversations/chat/refused.html", {"inbox": inbox, "message": exc.message}, status=401)
    visitor = identity.visitor_for_verified(inbox=inbox, identity=verified)
    response = redirect(reverse("chat:page", args=[inbox.slug]))
    _set_visitor_cookie(response, inbox, visitor)
    return response


@require_GET
@chat_api
def chat_state(request: HttpRequest, visitor) -> JsonResponse:
    conversations = chat_selectors.chat_conversation_list(visitor=visitor)
    availability = chat_selectors.chat_availability(
        inbox=visitor.inbox,
        time_zone=request.GET.get("tz") or visitor.customer.time_zone,
        language=(request.GET.get("lang") or visitor.customer.locale or "en")[:2],
    )
    return JsonResponse(
        {
            "customer": {"name": visitor.customer.name, "email": visitor.customer.email},
            "conversations": [payloads.customer_conversation_payload(c) for c in conversations],
            "availability": availability,
        }
    )


@require_http_methods(["GET", "POST"])
@chat_api
def chat_messages(request: HttpRequest, visitor) -> JsonResponse:
    """GET: the log of one conversation after a seq (catch-up). POST: send a message (HTTP fallback)."""
    if request.method == "GET":
        conversation = chat_selectors.chat_conversation_get(
            visitor=visitor, conversation_id=request.GET.get("conversation")
        )
        after_seq = whole_number(request.GET.get("after_seq"), name="after_seq", default=0)
        limit = whole_number(request.GET.get("limit"), name="limit", default=100) or 100
        items = chat_selectors.chat_message_list(conversation=conversation, after_seq=after_seq, limit=limit)
        return JsonResponse(
            {
                "conversation": payloads.customer_conversation_payload(conversation),
                "messages": [payloads.customer_message_payload(m) for m in items],
                "has_more": len(items) == min(limit, 200),
            }
        )
    data = _json_body(request)
    message, created, conversation = send_from_request(
        visitor=visitor,
        data=data,
        ip=ratelimit.client_ip(request.META),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return JsonResponse(
        {
            "client_id": message.client_id,
            "seq": message.seq,
            "conversation": payloads.customer_conversation_payload(conversation),
            "message": payloads.customer_message_payload(message),
        },
        status=201 if created else 200,
    )


def send_from_request(*, visitor, data: dict, ip: str, user_agent: str):
    """Shared by the HTTP endpoint and the socket: rate limits, pre-chat details, then the service."""
    body = data.get("body")
    if not isinstance(body, str):
        raise ApplicationError("A message needs some text.", code="empty_message", fields={"body": ["Required."]})
    client_id = data.get("client_id")
    if client_id is not None and not isinstance(client_id, str):
        raise ApplicationError("client_id must be a string.", fields={"client_id": ["Not a string."]})
    ratelimit.check(throttles.message_limits(visitor_key=visitor.key, ip=ip), what="messages")
    if "name" in data or "email" in data:
        chat_services.chat_profile_update(visitor=visitor, name=data.get("name"), email=data.get("email"))
    context = chat_services.chat_context_clean(raw=data.get("context"), user_agent=user_agent)

    def new_conversation_check() -> None:
        chat_services.chat_new_conversation_check(inbox=visitor.inbox, customer=visitor.customer)
        ratelimit.check(throttles.conversation_limits(visitor_key=visitor.key, ip=ip), what="new conversations")

    received = messaging.customer_message_receive(
        inbox=visitor.inbox,
        customer=visitor.customer,
        body=body,
        client_id=client_id,
        context=context,
        meta={"page_url": context["page_url"]} if context.get("page_url") else {},
        on_new_conversation=new_conversation_check,
    )
    if received.started:
        chat_services.chat_conversation_announce(visitor=visitor, conversation=received.conversation)
    return received.message, received.created, received.conversation


@require_POST
@chat_api
def chat_read(request: HttpRequest, visitor, conversation_id: int) -> JsonResponse:
    conversation = chat_selectors.chat_conversation_get(visitor=visitor, conversation_id=conversation_id)
    seq = whole_number(_json_body(request).get("seq"), name="seq", default=0)
    conversation = chat_services.chat_mark_read(conversation=conversation, seq=seq)
    return JsonResponse({"conversation": payloads.customer_conversation_payload(conversation)})


@require_POST
@chat_api
def chat_profile(request: HttpRequest, visitor) -> JsonResponse:
    data = _json_body(request)
    customer = chat_services.chat_profile_update(visitor=visitor, name=data.get("name"), email=data.get("email"))
    return JsonResponse({"customer": {"name": customer.name, "email": customer.email}})


# --- Inbound mail ----------------------------------------------------------------------------------


def _mail_gateway_authorized(request: HttpRequest) -> bool:
    secret = settings.INBOUND_MAIL_SECRET
    given = request.headers.get("X-Inbound-Secret", "")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    elif auth.lower().startswith("basic "):
        try:
            given = base64.b64decode(auth[6:].strip()).decode().partition(":")[2]
        except ValueError:
            given = ""
    return bool(secret) and signing.equal(given, secret)


@csrf_exempt
@require_POST
def inbound_mail(request: HttpRequest) -> JsonResponse:
    """Raw MIME from a mail-to-HTTP gateway: as the request body, or a form field ``email``/``message``."""
    if not settings.INBOUND_MAIL_SECRET:
        return json_error("not_configured", "Inbound mail is not configured (INBOUND_MAIL_SECRET).", 503)
    if not _mail_gateway_authorized(request):
        return json_error("unauthenticated", "Present the inbound-mail secret.", 401)
    try:
        ratelimit.check([("inbound_webhook", ratelimit.client_ip(request.META))], what="inbound e-mails")
    except ratelimit.RateLimited as exc:
        return ratelimit.response(exc)
    envelope_to = []
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raw = (request.POST.get("email") or request.POST.get("message") or "").encode()
        if not raw and request.FILES:
            # MultiValueDict.values() yields each key's last file, never a list.
            raw = next(iter(request.FILES.values())).read()  # type: ignore[union-attr]
        envelope_to = [a for a in request.POST.get("to", "").split(",") if a.strip()]
    else:
        raw = request.body
    if not raw.strip():
        return json_error("empty", "No e-mail in the request.", 400)
    parsed = parse_inbound(raw, envelope_to=envelope_to)
    if parsed is None:
        # Accepted so the gateway does not retry a message that will never be ours.
        return JsonResponse({"status": "ignored", "reason": "no reply address of ours among the recipients"})
    conversation_id, body, message_id, sender = parsed
    if not body:
        return JsonResponse({"status": "ignored", "reason": "nothing new above the quoted text"})
    try:
        message = _inbound_email_receive(
            conversation_id=conversation_id, body=body, message_id=message_id, sender=sender
        )
    except ApplicationError as exc:
        return _error_response(exc)
    return JsonResponse({"status": "accepted", "conversation_id": message.conversation_id, "seq": message.seq})


def _inbound_email_receive(*, conversation_id: int, body: str, message_id: str | None, sender: str):
    """A customer's e-mailed answer, threaded by its reply-to address, into the conversation it continues."""
    original = Conversation.objects.select_related("inbox", "customer").filter(pk=conversation_id).first()
    if original is None:
        raise ApplicationError("That conversation no longer exists.", code="not_found", status_code=404)
    received = messaging.customer_message_receive(
        inbox=original.inbox,
        customer=original.customer,
        body=body,
        external_id=f"email:{message_id}"[:200] if message_id else None,
        meta={"via": "email", "from": sender[:254]},
        new_conversation_context={"continued_from": original.pk},
    )
    return received.message
