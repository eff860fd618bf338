import time

import pytest
from django.core import signing
from django.utils import timezone

from conversations.chat import identity
from conversations.models import Visitor
from tests.factories import ConversationFactory, CustomerFactory, InboxFactory

pytestmark = pytest.mark.django_db


def test_a_visitor_cookie_leads_back_to_the_same_visitor(inbox):
    visitor = identity.visitor_create(inbox=inbox)
    found = identity.visitor_from_cookie(inbox=inbox, value=identity.cookie_value(visitor))
    assert found.pk == visitor.pk
    assert found.customer_id == visitor.customer_id


def test_a_forged_cookie_is_refused_with_a_clear_message(inbox):
    visitor = identity.visitor_create(inbox=inbox)
    forged = visitor.key + ":" + "x" * 27
    with pytest.raises(identity.IdentityError) as caught:
        identity.visitor_from_cookie(inbox=inbox, value=forged)
    assert caught.value.code == "identity_invalid"
    assert "not valid" in caught.value.message


def test_a_cookie_past_its_server_expiry_is_refused(inbox):
    visitor = identity.visitor_create(inbox=inbox)
    Visitor.objects.filter(pk=visitor.pk).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    with pytest.raises(identity.IdentityError) as caught:
        identity.visitor_from_cookie(inbox=inbox, value=identity.cookie_value(visitor))
    assert caught.value.code == "identity_expired"


def test_a_cookie_signed_too_long_ago_is_refused(inbox, settings):
    visitor = identity.visitor_create(inbox=inbox)
    old = signing.TimestampSigner(salt=identity.COOKIE_SALT)
    old.timestamp = lambda: signing.b62_encode(int(time.time()) - settings.CHAT_VISITOR_DAYS * 86400 - 10)
    with pytest.raises(identity.IdentityError) as caught:
        identity.visitor_from_cookie(inbox=inbox, value=old.sign(visitor.key))
    assert caught.value.code == "identity_expired"


def test_a_revoked_visitor_is_refused(inbox):
    visitor = identity.visitor_create(inbox=inbox)
    Visitor.objects.filter(pk=visitor.pk).update(revoked=True)
    with pytest.raises(identity.IdentityError):
        identity.visitor_from_cookie(inbox=inbox, value=identity.cookie_value(visitor))


def test_a_cookie_from_another_inbox_is_refused(inbox):
    visitor = identity.visitor_create(inbox=InboxFactory())
    with pytest.raises(identity.IdentityError):
        identity.visitor_from_cookie(inbox=inbox, value=identity.cookie_value(visitor))


def test_a_verified_token_signed_with_the_inbox_secret_names_the_customer(inbox):
    token = identity.identity_token_make(inbox=inbox, external_id="user-42", name="Ada", email="ada@example.com")
    verified = identity.identity_token_verify(inbox=inbox, token=token)
    assert (verified.external_id, verified.name, verified.email) == ("user-42", "Ada", "ada@example.com")


def test_a_verified_token_signed_with_another_secret_is_refused(inbox):
    token = identity.identity_token_make(inbox=InboxFactory(), external_id="user-42")
    with pytest.raises(identity.IdentityError) as caught:
        identity.identity_token_verify(inbox=inbox, token=token)
    assert caught.value.code == "identity_invalid"


def test_an_expired_verified_token_is_refused(inbox):
    token = identity.identity_token_make(inbox=inbox, external_id="user-42", ttl_seconds=-1)
    with pytest.raises(identity.IdentityError) as caught:
        identity.identity_token_verify(inbox=inbox, token=token)
    assert caught.value.code == "identity_expired"
    assert "expired" in caught.value.message


def test_a_verified_token_that_lives_longer_than_a_day_is_refused(inbox):
    token = identity.identity_token_make(inbox=inbox, external_id="user-42", ttl_seconds=3 * 86400)
    with pytest.raises(identity.IdentityError):
        identity.identity_token_verify(inbox=inbox, token=token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "..", "e30.AAAA"])
def test_malformed_verified_tokens_are_refused(inbox, token):
    with pytest.raises(identity.IdentityError):
        identity.identity_token_verify(inbox=inbox, token=token)


def test_two_devices_with_the_same_verified_identity_share_the_customer(inbox):
    verified = identity.VerifiedIdentity(external_id="user-7", name="Bo", email="bo@example.com")
    phone = identity.visitor_for_verified(inbox=inbox, identity=verified)
    laptop = identity.visitor_for_verified(inbox=inbox, identity=verified)
    assert phone.pk != laptop.pk
    assert phone.customer_id == laptop.customer_id
    assert phone.customer.email == "bo@example.com"
    assert laptop.verified


def test_a_resume_token_restores_its_conversation_only_in_its_inbox(inbox):
    conversation = ConversationFactory(inbox=inbox, customer=CustomerFactory())
    token = identity.resume_token_make(conversation=conversation)
    assert identity.resume_token_read(inbox=inbox, token=token).pk == conversation.pk
    with pytest.raises(identity.IdentityError):
        identity.resume_token_read(inbox=InboxFactory(), token=token)
    with pytest.raises(identity.IdentityError):
        identity.resume_token_read(inbox=inbox, token=token[:-2] + "xx")


def test_a_reply_address_names_its_conversation_and_cannot_be_forged(inbox, settings):
    conversation = ConversationFactory(inbox=inbox)
    address = identity.reply_address(conversation=conversation)
    assert address.endswith("@" + settings.REPLY_DOMAIN)
    assert identity.conversation_id_from_reply_address(address) == conversation.pk
    assert identity.conversation_id_from_reply_address(address.upper()) == conversation.pk
    other = ConversationFactory(inbox=inbox)
    forged = address.replace(f"reply+{conversation.pk}-", f"reply+{other.pk}-")
    assert identity.conversation_id_from_reply_address(forged) is None
    assert identity.conversation_id_from_reply_address("someone@example.com") is None
