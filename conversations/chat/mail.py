"""E-mail for the chat page: the fallback e-mail with its resume link, and parsing a raw inbound reply."""

import email
import email.policy
import html
import re
from email.message import EmailMessage
from email.utils import getaddresses

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from conversations.chat.identity import conversation_id_from_reply_address, reply_address, resume_token_make
from conversations.models import Conversation, Message


def resume_url(*, conversation: Conversation) -> str:
    path = reverse(
        "chat:resume",
        kwargs={"inbox_slug": conversation.inbox.slug, "token": resume_token_make(conversation=conversation)},
    )
    return settings.SITE_URL + path


def fallback_email_send(*, conversation: Conversation, messages: list[Message]) -> None:
    """One e-mail with every unseen reply; the Django backend raises on failure so the outbox retries."""
    context = {
        "inbox": conversation.inbox,
        "customer": conversation.customer,
        "messages": messages,
        "resume_url": resume_url(conversation=conversation),
    }
    subject = f"New reply from {conversation.inbox.name}"
    text = render_to_string("conversations/chat/email/reply.txt", context)
    html_body = render_to_string("conversations/chat/email/reply.html", context)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[conversation.customer.email],
        reply_to=[reply_address(conversation=conversation)],
        headers={"Auto-Submitted": "auto-generated", "X-Helpdesk-Conversation": str(conversation.pk)},
    )
    mail.attach_alternative(html_body, "text/html")
    mail.send(fail_silently=False)


# --- Inbound ---------------------------------------------------------------------------------------

# Where a mail client starts quoting what it replies to.
QUOTE_HEADERS = [
    re.compile(r"^\s*On .{1,300}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am .{1,300}schrieb.{0,100}:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le .{1,300}a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*El .{1,300}escribió\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*From:\s.+", re.IGNORECASE),
]
SIGNATURE = re.compile(r"^-- ?$")


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything above the quote header, without '>' lines or the signature."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        # "On … wrote:" is often wrapped over two lines by the client.
        joined = line + " " + lines[index + 1] if index + 1 < len(lines) else line
        if any(p.match(line) for p in QUOTE_HEADERS) or (
            line.strip() and QUOTE_HEADERS[0].match(joined) and not line.lstrip().startswith(">")
        ):
            break
        if SIGNATURE.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|blockquote)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def parse_inbound(raw: bytes, *, envelope_to: list[str] | None = None):
    """(conversation_id, body, message_id, sender) from a raw MIME message, or None if not a reply to us."""
    message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)
    recipients = list(envelope_to or [])
    for header in ("Delivered-To", "X-Original-To", "To", "Cc"):
        recipients += [addr for _, addr in getaddresses(message.get_all(header, []))]
    conversation_id = next(
        (cid for addr in recipients if (cid := conversation_id_from_reply_address(addr)) is not None), None
    )
    if conversation_id is None:
        return None
    part = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if part is not None:
        text = part.get_content()
        if part.get_content_type() == "text/html":
            text = _html_to_text(text)
    sender = next((addr for _, addr in getaddresses(message.get_all("From", []))), "")
    message_id = (message.get("Message-ID") or "").strip().strip("<>") or None
    return conversation_id, strip_quoted(text), message_id, sender
