"""Messenger page webhooks and Send API; Apple Messages for Business JWT-signed gzip JSON both ways."""

import base64
import gzip
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.connectors import apple
from conversations.connectors.meta import signature_for
from conversations.models import Conversation, Message
from tests.factories import AgentFactory, InboxFactory
from tests.fakes import FakeServer
from tests.helpers import message_create

pytestmark = pytest.mark.django_db

PAGE_ID = "1234567890"
SECRET = base64.b64encode(b"apple-shared-secret-32-bytes-long!").decode()


@pytest.fixture
def messenger_inbox():
    return InboxFactory(
        kind="messenger", slug="fb", external_id=PAGE_ID,
        settings={"page_access_token": "PAGE-TOKEN", "app_secret": "fb-secret", "verify_token": "v"},
    )  # fmt: skip


def messenger_post(client, payload, secret="fb-secret"):
    body = json.dumps(payload).encode()
    return client.post(
        "/hooks/messenger/fb/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature_for(secret, body),
    )


def messenger_message(mid="m_1", text="Where is my parcel?"):
    return {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1458692752478, "messaging": [
            {"sender": {"id": "PSID-42"}, "recipient": {"id": PAGE_ID}, "timestamp": 1458692752478, "message": {"mid": mid, "text": text}}
        ]}],
    }  # fmt: skip


def test_a_messenger_message_is_stored_once_and_a_bad_signature_is_refused(client, messenger_inbox):
    assert messenger_post(client, messenger_message(), secret="wrong").status_code == 403
    assert messenger_post(client, messenger_message()).status_code == 200
    assert messenger_post(client, messenger_message()).json()["stored"] == 0
    message = Message.objects.get()
    assert message.body == "Where is my parcel?" and message.external_id == "m_1"


def test_a_messenger_reply_uses_the_human_agent_tag_after_a_day(
    client, messenger_inbox, settings, django_capture_on_commit_callbacks
):
    server = FakeServer(
        lambda request: (200, {}, {"recipient_id": "PSID-42", "message_id": f"m_OUT{len(server.requests)}"})
    )
    settings.MESSENGER_GRAPH_URL = server.url
    try:
        messenger_post(client, messenger_message())
        conversation = Conversation.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            fresh, _ = message_create(conversation=conversation, sender="agent", author=AgentFactory(), body="Today!")
        Conversation.objects.filter(pk=conversation.pk).update(
            last_customer_message_at=timezone.now() - timedelta(days=2)
        )
        conversation.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            message_create(conversation=conversation, sender="agent", author=AgentFactory(), body="Following up")
        first, second = (request["json"] for request in server.requests)
        assert first == {"recipient": {"id": "PSID-42"}, "messaging_type": "RESPONSE", "message": {"text": "Today!"}}
        assert second["messaging_type"] == "MESSAGE_TAG" and second["tag"] == "HUMAN_AGENT"
        assert server.requests[0]["headers"]["Authorization"] == "Bearer PAGE-TOKEN"
        fresh.refresh_from_db()
        assert fresh.external_id == "m_OUT1"
    finally:
        server.close()


@pytest.fixture
def apple_inbox():
    return InboxFactory(
        kind="apple", slug="amb", external_id="biz-123", settings={"msp_id": "msp-9", "api_secret": SECRET}
    )


def apple_post(client, payload, token):
    body = gzip.compress(json.dumps(payload).encode())
    return client.post(
        "/hooks/apple/amb/message", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_SOURCE_ID="urn:mbid:opaque-1", HTTP_DESTINATION_ID="biz-123", HTTP_ID="msg-1",
    )  # fmt: skip


def test_an_apple_message_with_a_valid_token_is_stored(client, apple_inbox):
    token = apple.jwt_encode(msp_id="msp-9", api_secret=SECRET)
    payload = {
        "v": 1,
        "type": "text",
        "id": "msg-1",
        "sourceId": "urn:mbid:opaque-1",
        "destinationId": "biz-123",
        "body": "Bonjour",
    }
    assert apple_post(client, payload, token).status_code == 200
    message = Message.objects.get()
    assert message.body == "Bonjour" and message.external_id == "msg-1"


@pytest.mark.parametrize(
    "token",
    [
        "not.a.jwt",
        apple.jwt_encode(msp_id="someone-else", api_secret=SECRET),
        apple.jwt_encode(msp_id="msp-9", api_secret=base64.b64encode(b"another secret").decode()),
        apple.jwt_encode(msp_id="msp-9", api_secret=SECRET, now=time.time() - 7200),
    ],
    ids=["garbage", "wrong-audience", "wrong-secret", "stale"],
)
def test_an_apple_message_with_a_bad_token_is_refused(client, apple_inbox, token):
    response = apple_post(client, {"v": 1, "type": "text", "body": "x"}, token)
    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_a_small_gzip_body_that_unpacks_into_megabytes_is_refused(client, apple_inbox):
    token = apple.jwt_encode(msp_id="msp-9", api_secret=SECRET)
    bomb = gzip.compress(b'{"type": "text", "body": "' + b"a" * (64 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100 * 1024
    response = client.post(
        "/hooks/apple/amb/message", bomb, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_SOURCE_ID="urn:mbid:opaque-1", HTTP_DESTINATION_ID="biz-123",
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Message.objects.exists()


def test_typing_frames_from_apple_store_nothing(client, apple_inbox):
    token = apple.jwt_encode(msp_id="msp-9", api_secret=SECRET)
    assert apple_post(client, {"v": 1, "type": "typing_start"}, token).status_code == 200
    assert Message.objects.count() == 0


def test_an_apple_reply_is_gzip_json_with_a_signed_token(
    client, apple_inbox, settings, django_capture_on_commit_callbacks
):
    server = FakeServer(lambda request: (200, {}, b""))
    settings.APPLE_GATEWAY_URL = server.url + "/v1"
    try:
        token = apple.jwt_encode(msp_id="msp-9", api_secret=SECRET)
        apple_post(client, {"v": 1, "type": "text", "body": "Hi"}, token)
        with django_capture_on_commit_callbacks(execute=True):
            message_create(
                conversation=Conversation.objects.get(), sender="agent", author=AgentFactory(), body="Hello!"
            )
        [request] = server.requests
        assert request["path"] == "/v1/message"
        assert request["headers"]["Source-Id"] == "biz-123"
        assert request["headers"]["Destination-Id"] == "urn:mbid:opaque-1"
        assert request["json"]["body"] == "Hello!" and request["json"]["type"] == "text"
        bearer = request["headers"]["Authorization"].removeprefix("Bearer ")
        assert apple.jwt_valid(bearer, msp_id="msp-9", api_secret=SECRET)
    finally:
        server.close()
