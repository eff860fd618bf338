"""Apple Messages for Business through the Business Chat REST API (as a messaging service provider).

Inbox settings: ``msp_id`` (the provider id, the JWT audience) and ``api_secret`` (base64, shared with
Apple); ``Inbox.external_id`` is the business id. Both directions carry an HS256 JWT signed with the
secret, and gzip-compressed JSON bodies with ``id``, ``source-id`` and ``destination-id`` headers.
"""

import base64
import gzip
import json
import time
import uuid
import zlib

from django.conf import settings

from conversations.connectors.base import Connector, DeliveryError, post
from conversations.connectors.inbound import InboundMessage
from helpdesk import signing

TOKEN_MAX_AGE = 3600  # seconds an inbound token's iat may be away from now


def _secret(api_secret: str) -> bytes:
    try:
        return base64.b64decode(api_secret, validate=True)
    except ValueError:
        raise DeliveryError("the Apple inbox's api_secret is not base64") from None


def jwt_encode(*, msp_id: str, api_secret: str, now: float | None = None) -> str:
    header = signing.b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims_json = json.dumps({"aud": msp_id, "iat": int(now or time.time())}, separators=(",", ":"))
    claims = signing.b64url_encode(claims_json.encode())
    signature = signing.hmac_sha256_b64url(_secret(api_secret), f"{header}.{claims}")
    return f"{header}.{claims}.{signature}"


def jwt_valid(token: str, *, msp_id: str, api_secret: str, now: float | None = None) -> bool:
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(signing.b64url_decode(header_b64))
        claims = json.loads(signing.b64url_decode(claims_b64))
        signature = signing.b64url_decode(signature_b64)
        key = _secret(api_secret)
    except (ValueError, DeliveryError):
        return False
    if header.get("alg") != "HS256":
        return False
    if not signing.equal(signature, signing.hmac_sha256(key, f"{header_b64}.{claims_b64}")):
        return False
    audience = claims.get("aud")
    if audience != msp_id and not (isinstance(audience, list) and msp_id in audience):
        return False
    issued = claims.get("iat")
    now = now or time.time()
    if not isinstance(issued, int | float) or abs(now - issued) > TOKEN_MAX_AGE:
        return False
    expires = claims.get("exp")
    return not (isinstance(expires, int | float) and expires < now)


class AppleConnector(Connector):
    kind = "apple"

    def send(self, *, conversation, message) -> str | None:
        msp_id, api_secret = self.inbox.settings.get("msp_id"), self.inbox.settings.get("api_secret")
        if not msp_id or not api_secret or not self.inbox.external_id:
            raise DeliveryError("the Apple inbox needs msp_id, api_secret and its business id (external_id)")
        opaque_id = conversation.customer.identities.filter(kind="apple").values_list("address", flat=True).first()
        if not opaque_id:
            raise DeliveryError("the customer has no Apple Messages id")
        message_id = str(uuid.uuid4())
        payload = {
            "v": 1,
            "type": "text",
            "id": message_id,
            "sourceId": self.inbox.external_id,
            "destinationId": opaque_id,
            "body": message.body,
        }
        post(
            f"{settings.APPLE_GATEWAY_URL.rstrip('/')}/message",
            data=gzip.compress(json.dumps(payload).encode()),
            headers={
                "Authorization": f"Bearer {jwt_encode(msp_id=msp_id, api_secret=api_secret)}",
                "id": message_id,
                "Source-Id": self.inbox.external_id,
                "Destination-Id": opaque_id,
                "Content-Encoding": "gzip",
            },
        )
        return message_id


# Far more than any message (MESSAGE_MAX_CHARS): a small gzip body must not unpack into gigabytes.
MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(ValueError):
    pass


def gunzip_bounded(data: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """Decompress a gzip body, refusing to produce more than ``limit`` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"the body unpacks to more than {limit} bytes")
    if not inflater.eof:
        raise gzip.BadGzipFile("truncated gzip body")
    return out


def parse(body: bytes, headers) -> InboundMessage | None:
    """One inbound message, or None for frames we do not store (typing, close)."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip_bounded(body)
    data = json.loads(body)
    if data.get("type") != "text":
        return None
    source = headers.get("source-id") or data.get("sourceId")
    if not source:
        raise ValueError("no source-id")
    return InboundMessage(
        address=str(source),
        name="",
        body=str(data.get("body", "")),
        external_id=str(headers.get("id") or data.get("id") or "") or None,
        meta={"locale": data.get("locale", "")},
    )
