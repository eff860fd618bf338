"""The API channel: a company's own system receives our replies as signed webhooks and sends customer
messages in through the REST API. The signature is HMAC-SHA256 of the raw body with the inbox secret."""

import json

from conversations import payloads
from conversations.connectors.base import Connector, DeliveryError, post
from helpdesk import signing

SIGNATURE_HEADER = "X-Helpdesk-Signature"


def sign(secret: str, body: bytes) -> str:
    return signing.sha256_header(secret, body)


class ApiConnector(Connector):
    kind = "api"

    def send(self, *, conversation, message) -> str | None:
        url = self.inbox.settings.get("webhook_url")
        if not url:
            raise DeliveryError(f"inbox {self.inbox.slug!r} has no webhook_url setting")
        payload = payloads.api_webhook_message(conversation=conversation, message=message)
        body = json.dumps(payload).encode()
        # The exact bytes signed are the bytes sent.
        post(url, data=body, headers={SIGNATURE_HEADER: sign(self.inbox.secret, body)})
        return None
