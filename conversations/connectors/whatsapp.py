"""WhatsApp Business Cloud API: inbound webhooks (messages and statuses) and outbound text messages.

Inbox settings: ``access_token``, ``app_secret``, ``verify_token``; ``Inbox.external_id`` is the
phone number id. Outbound goes to ``{WHATSAPP_GRAPH_URL}/{phone_number_id}/messages``.
"""

from datetime import UTC, datetime

from django.conf import settings

from conversations.connectors import meta
from conversations.connectors.base import Connector, DeliveryError, answer_json, post
from conversations.connectors.inbound import InboundMessage, InboundStatus

# WhatsApp refuses free-form messages 24 hours after the customer's last one (a template is needed).
OUTSIDE_WINDOW_ERRORS = {131047, 131026}


class WhatsAppConnector(Connector):
    kind = "whatsapp"

    def send(self, *, conversation, message) -> str | None:
        (token,) = meta.require(self.inbox.settings, "access_token")
        phone_number_id = self.inbox.external_id
        if not phone_number_id:
            raise DeliveryError("the WhatsApp inbox has no phone number id (Inbox.external_id)")
        recipient = (
            conversation.context.get("whatsapp_id")
            or conversation.customer.identities.filter(kind="whatsapp").values_list("address", flat=True).first()
        )
        if not recipient:
            raise DeliveryError("the customer has no WhatsApp number")
        url = f"{settings.WHATSAPP_GRAPH_URL.rstrip('/')}/{phone_number_id}/messages"
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": recipient,
            "type": "text",
            "text": {"preview_url": False, "body": message.body},
        }
        try:
            answer = answer_json(post(url, json=payload, headers={"Authorization": f"Bearer {token}"}))
        except DeliveryError as exc:
            error = exc.data.get("error") if isinstance(exc.data, dict) else None
            if isinstance(error, dict) and error.get("code") in OUTSIDE_WINDOW_ERRORS:
                raise DeliveryError(
                    "WhatsApp allows free-form replies only within 24 hours of the customer's last message"
                ) from exc
            raise
        try:
            return answer["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise DeliveryError(f"unexpected answer from WhatsApp: {str(answer)[:200]}") from None


def parse(payload: dict, *, phone_number_id: str) -> tuple[list[InboundMessage], list[InboundStatus]]:
    """Messages and statuses for one phone number from a webhook body; anything else is ignored."""
    messages: list[InboundMessage] = []
    statuses: list[InboundStatus] = []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return messages, statuses
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if change.get("field") != "messages":
                continue
            if str((value.get("metadata") or {}).get("phone_number_id", "")) != str(phone_number_id):
                continue
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "") for c in value.get("contacts") or []}
            for item in value.get("messages") or []:
                body = _body_of(item)
                sender = str(item.get("from", ""))
                if not sender or not item.get("id"):
                    continue
                messages.append(
                    InboundMessage(
                        address=sender,
                        name=names.get(sender, ""),
                        body=body,
                        external_id=str(item["id"]),
                        sent_at=_timestamp(item.get("timestamp")),
                        meta={"whatsapp_type": item.get("type", "")},
                    )
                )
            for item in value.get("statuses") or []:
                if item.get("id") and item.get("status"):
                    statuses.append(
                        InboundStatus(
                            external_id=str(item["id"]), status=str(item["status"]), error=_status_error(item)
                        )
                    )
    return messages, statuses


def _status_error(item: dict) -> str:
    """A failed status's reason as WhatsApp words it: the details, else the message or title."""
    for error in item.get("errors") or []:
        if not isinstance(error, dict):
            continue
        data = error.get("error_data")
        details = data.get("details") if isinstance(data, dict) else None
        reason = details or error.get("message") or error.get("title")
        if reason:
            return str(reason)[:500]
    return ""


def _body_of(item: dict) -> str:
    kind = item.get("type")
    if kind == "text":
        return (item.get("text") or {}).get("body", "")
    if kind in {"image", "video", "document", "audio", "sticker"}:
        caption = (item.get(kind) or {}).get("caption", "")
        return f"[{kind}] {caption}".strip()
    if kind == "location":
        loc = item.get("location") or {}
        return f"[location] {loc.get('name', '')} {loc.get('latitude', '')},{loc.get('longitude', '')}".strip()
    if kind == "button":
        return (item.get("button") or {}).get("text", "[button]")
    if kind == "interactive":
        reply = (
            (item.get("interactive") or {}).get("button_reply")
            or (item.get("interactive") or {}).get("list_reply")
            or {}
        )
        return reply.get("title", "[interactive]")
    return f"[{kind or 'unsupported'} message]"


def _timestamp(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return None
