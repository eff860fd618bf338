"""The one place signatures are made and checked: HMAC-SHA256 in the encodings our wire formats use,
constant-time comparison, and the project's timestamped tokens (Django's signer, salted per purpose)."""

import base64
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core import signing as django_signing

BadSignature = django_signing.BadSignature
SignatureExpired = django_signing.SignatureExpired

SHA256_PREFIX = "sha256="


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def b64url_encode(data: bytes) -> str:
    """URL-safe base64 without padding (JWT and our identity tokens)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hmac_sha256(key: str | bytes, message: str | bytes) -> bytes:
    return hmac.new(_bytes(key), _bytes(message), hashlib.sha256).digest()


def hmac_sha256_hex(key: str | bytes, message: str | bytes) -> str:
    return hmac.new(_bytes(key), _bytes(message), hashlib.sha256).hexdigest()


def hmac_sha256_b64url(key: str | bytes, message: str | bytes) -> str:
    return b64url_encode(hmac_sha256(key, message))


def equal(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison; compares bytes, so text of any alphabet is safe to pass."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def sha256_header(secret: str | bytes, body: bytes) -> str:
    """``sha256=<hex HMAC of the raw body>``: Meta's X-Hub-Signature-256, and ours on outbound webhooks."""
    return SHA256_PREFIX + hmac_sha256_hex(secret, body)


def sha256_header_valid(secret: str | bytes, body: bytes, given: str) -> bool:
    """True only with a secret configured and a header that matches it."""
    return bool(secret) and equal(given or "", sha256_header(secret, body))


def derived_key(purpose: str) -> bytes:
    """A key of its own for one purpose, derived from SECRET_KEY, so one signature is never valid for another."""
    return hashlib.sha256((purpose + settings.SECRET_KEY).encode()).digest()


def timestamp_sign(value: str, *, salt: str) -> str:
    return django_signing.TimestampSigner(salt=salt).sign(value)


def timestamp_unsign(value: str, *, salt: str, max_age: int) -> str:
    """The signed value; raises SignatureExpired past ``max_age`` seconds, BadSignature if forged."""
    return django_signing.TimestampSigner(salt=salt).unsign(value, max_age=max_age)


def dumps(obj: object, *, salt: str) -> str:
    """A signed, timestamped, URL-safe token carrying ``obj`` (JSON)."""
    return django_signing.dumps(obj, salt=salt)


def loads(token: str, *, salt: str, max_age: int) -> Any:
    """What ``dumps`` signed; raises SignatureExpired past ``max_age`` seconds, BadSignature if forged."""
    return django_signing.loads(token, salt=salt, max_age=max_age)
