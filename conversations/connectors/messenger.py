"""Facebook Messenger (Send API and page webhooks).

Inbox settings: ``page_access_token``, ``app_secret``, ``verify_token``; ``Inbox.external_id`` is the page
id. Outbound goes to ``{MESSENGER_GRAPH_URL}/me/messages``.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from conversations.connectors import meta
from conversations.connectors.base import Connector, DeliveryError, answer_json, post
from conversations.connectors.inbound import InboundMessage, InboundStatus

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class MessengerConnector(Connector):
    kind = "messenger"

    def send(self, *, conversation, message) -> str | None:
        (token,) = meta.require(self.inbox.settings, "page_access_token")
        psid = conversation.customer.identities.filter(kind="messenger").values_list("address", flat=True).first()
        if not psid:
            raise DeliveryError("the customer has no Messenger id")
        payload = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": message.body}}
        last = conversation.last_customer_message_at
        age = timezone.now() - last if last else HUMAN_AGENT_WINDOW
        if age > HUMAN_AGENT_WINDOW:
            raise DeliveryError("Messenger allows replies only within 7 days of the customer's last message")
        if age > STANDARD_WINDOW:
            # Past the standard window a person may still answer for 7 days with the HUMAN_AGENT tag.
            payload["messaging_type"] = "MESSAGE_TAG"
            payload["tag"] = "HUMAN_AGENT"
        url = f"{settings.MESSENGER_GRAPH_URL.rstrip('/')}/me/messages"
        answer = answer_json(post(url, json=payload, headers={"Authorization": f"Bearer {token}"}))
        if not isinstance(answer, dict) or not answer.get("message_id"):
            raise DeliveryError(f"unexpected answer from Messenger: {str(answer)[:200]}")
        return answer["message_id"]


def parse(payload: dict, *, page_id: str) -> tuple[list[InboundMessage], list[InboundStatus]]:
    messages: list[InboundMessage] = []
    statuses: list[InboundStatus] = []
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return messages, statuses
    for entry in payload.get("entry") or []:
        if str(entry.get("id", "")) != str(page_id):
            continue
        for event in entry.get("messaging") or []:
            sender = str((event.get("sender") or {}).get("id", ""))
            message = event.get("message")
            if message and sender and sender != str(page_id) and not message.get("is_echo"):
                body = message.get("text") or " ".join(
                    f"[{a.get('type', 'attachment')}]" for a in message.get("attachments") or []
                )
                messages.append(
                    InboundMessage(
                        address=sender,
                        name="",
                        body=body or "[empty message]",
                        external_id=str(message.get("mid", "")) or None,
                        sent_at=_ms(event.get("timestamp")),
                        meta={},
                    )
                )
            for mid in (event.get("delivery") or {}).get("mids") or []:
                statuses.append(InboundStatus(external_id=str(mid), status="delivered"))
            if event.get("read") and sender:
                statuses.append(
                    InboundStatus(
                        external_id=None, status="read", address=sender, watermark=_ms(event["read"].get("watermark"))
                    )
                )
    return messages, statuses


def _ms(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return None
