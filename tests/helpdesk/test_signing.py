"""The one signing helper: the wire formats our partners compute on their side, and safe comparisons."""

import hashlib
import hmac

import pytest

from helpdesk import signing


def test_the_sha256_header_is_the_hex_hmac_of_the_raw_body():
    body = b'{"object": "page"}'
    expected = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert signing.sha256_header("app-secret", body) == expected
    assert signing.sha256_header_valid("app-secret", body, expected)
    assert not signing.sha256_header_valid("app-secret", body + b" ", expected)


def test_no_secret_configured_verifies_nothing():
    assert not signing.sha256_header_valid("", b"x", signing.sha256_header("", b"x"))


@pytest.mark.parametrize("given", ["sha256=zürich", "", "\u00e9" * 71])
def test_comparing_text_of_any_alphabet_is_a_plain_no(given):
    assert signing.equal(given, signing.sha256_header("s", b"x")) is False


def test_url_safe_base64_round_trips_without_padding():
    mac = signing.hmac_sha256("k", "body")
    text = signing.hmac_sha256_b64url("k", "body")
    assert "=" not in text
    assert signing.b64url_decode(text) == mac


def test_timestamped_tokens_expire_and_refuse_forgeries():
    token = signing.dumps({"c": 1}, salt="a")
    assert signing.loads(token, salt="a", max_age=60) == {"c": 1}
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="b", max_age=60)
    with pytest.raises(signing.SignatureExpired):
        signing.loads(token, salt="a", max_age=-1)
