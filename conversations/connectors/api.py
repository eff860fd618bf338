"""The API channel: a company's own system receives our replies as signed webhooks and sends customer
messages in through the REST API. The signature is HMAC-SHA256 of the raw body with the inbox secret."""

import hashlib
import hmac
import json

from conversations import realtime
from conversations.connectors.base import Connector
from conversations.connectors.transport import DeliveryError, post_json

SIGNATURE_HEADER = "X-Helpdesk-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ApiConnector(Connector):
    kind = "api"

    def send(self, *, conversation, message) -> str | None:
        url = self.inbox.settings.get("webhook_url")
        if not url:
            raise DeliveryError(f"inbox {self.inbox.slug!r} has no webhook_url setting")
        payload = {
            "event": "message.created",
            "conversation_id": conversation.id,
            "customer_id": conversation.customer_id,
            "message": realtime.message_payload(message, for_customer=True),
        }
        body = json.dumps(payload).encode()
        post_json(url, payload, headers={SIGNATURE_HEADER: sign(self.inbox.secret, body)})
        return None
