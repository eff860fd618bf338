import json
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.chat import identity
from conversations.models import Conversation, Message
from conversations.selectors.availability import Availability
from tests.conversations.chat.conftest import ChatClient
from tests.factories import AgentFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


def _boot(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="chat-boot" type="application/json">') + len(
        '<script id="chat-boot" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def _away(monkeypatch, next_open=None):
    away = Availability(state="closed", next_open=next_open, time_zone="Europe/Berlin", policy_id=None)
    monkeypatch.setattr("conversations.chat.services.inbox_availability", lambda *, inbox, now=None: away)
    monkeypatch.setattr("conversations.selectors.availability.inbox_availability", lambda *, inbox, now=None: away)


def test_the_page_sets_an_httponly_visitor_cookie_and_a_strict_csp(inbox):
    visitor = ChatClient(inbox)
    response = visitor.open()
    assert response.status_code == 200
    morsel = response.cookies[f"hdchat_{inbox.pk}"]
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    assert '<script type="module"' in response.content.decode()


def test_new_sessions_from_one_address_are_rate_limited_but_returning_visitors_are_not(inbox, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"},
    }
    returning = ChatClient(inbox)
    assert returning.open().status_code == 200
    assert ChatClient(inbox).open().status_code == 200
    refused = ChatClient(inbox).open()
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert returning.open().status_code == 200


def test_a_returning_visitor_keeps_the_same_customer(chat):
    first = identity.visitor_from_cookie(inbox=chat.inbox, value=chat.cookie)
    chat.open()
    assert identity.visitor_from_cookie(inbox=chat.inbox, value=chat.cookie).customer_id == first.customer_id


def test_a_forged_cookie_on_the_page_says_so_and_starts_a_fresh_session(inbox):
    visitor = ChatClient(inbox)
    visitor.client.cookies[f"hdchat_{inbox.pk}"] = "forged:value"
    response = visitor.open()
    assert response.status_code == 200
    assert "not valid" in _boot(response)["notice"]
    assert identity.visitor_from_cookie(inbox=inbox, value=visitor.cookie)


def test_the_api_refuses_a_forged_cookie_with_a_clear_error(inbox):
    visitor = ChatClient(inbox)
    visitor.open()
    visitor.client.cookies[f"hdchat_{inbox.pk}"] = "forged:value"
    response = visitor.send("hello", "c-1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "identity_invalid"
    assert not Message.objects.exists()


def test_an_expired_verified_identity_on_the_page_is_refused_with_a_message(inbox):
    token = identity.identity_token_make(inbox=inbox, external_id="u1", ttl_seconds=-5)
    response = ChatClient(inbox).open(f"?identity={token}")
    assert response.status_code == 401
    assert "expired" in response.content.decode()


def test_a_verified_identity_continues_the_conversation_on_another_device(inbox):
    phone = ChatClient(inbox)
    phone.open(f"?identity={identity.identity_token_make(inbox=inbox, external_id='u1', email='u1@example.com')}")
    assert phone.send("from my phone", "p-1").status_code == 201
    laptop = ChatClient(inbox)
    response = laptop.open(f"?identity={identity.identity_token_make(inbox=inbox, external_id='u1')}")
    conversations = _boot(response)["conversations"]
    assert len(conversations) == 1
    listed = laptop.get("api/messages", conversation=conversations[0]["id"]).json()["messages"]
    assert [m["body"] for m in listed] == ["from my phone"]


def test_a_verified_identity_passed_on_every_page_view_keeps_one_session(inbox):
    from conversations.models import Visitor

    browser = ChatClient(inbox)
    for _ in range(3):
        browser.open(f"?identity={identity.identity_token_make(inbox=inbox, external_id='u9')}")
    assert Visitor.objects.filter(customer__external_id="u9").count() == 1
    ChatClient(inbox).open(f"?identity={identity.identity_token_make(inbox=inbox, external_id='u9')}")
    assert Visitor.objects.filter(customer__external_id="u9").count() == 2


def test_a_message_is_stored_once_however_often_it_is_resent(chat):
    first = chat.send("hello", "c-1")
    again = chat.send("hello", "c-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["seq"] == again.json()["seq"]
    assert Message.objects.filter(sender="customer").count() == 1


def test_writes_need_the_csrf_token(chat):
    response = chat.client.post(chat.base + "api/messages", json.dumps({"body": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_the_context_is_kept_on_the_conversation_the_customer_and_the_message(chat):
    context = {
        "time_zone": "America/Chicago",
        "language": "de-DE",
        "page_url": "https://shop.example.com/cart",
        "referrer": "https://search.example.com/?q=x",
    }
    chat.post("api/messages", {"body": "hi", "client_id": "c-1", "context": context}, HTTP_USER_AGENT="TestBrowser/1.0")
    conversation = Conversation.objects.get()
    assert conversation.context == {**context, "user_agent": "TestBrowser/1.0"}
    conversation.customer.refresh_from_db()
    assert (conversation.customer.time_zone, conversation.customer.locale) == ("America/Chicago", "de-DE")
    assert Message.objects.get(sender="customer").meta == {"page_url": "https://shop.example.com/cart"}


def test_bad_context_values_are_dropped_and_the_message_kept(chat):
    chat.send("hi", "c-1", context={"time_zone": "Mars/Base", "page_url": "javascript:alert(1)"})
    assert Conversation.objects.get().context.keys().isdisjoint({"time_zone", "page_url"})
    assert Message.objects.get(sender="customer").body == "hi"


def test_catch_up_returns_only_public_messages_after_the_seq(chat):
    seen = chat.send("one", "c-1").json()["conversation"]["last_seq"]
    conversation = Conversation.objects.get()
    agent = AgentFactory()
    message_create(conversation=conversation, sender="agent", author=agent, body="secret note", is_private=True)
    reply, _ = message_create(conversation=conversation, sender="agent", author=agent, body="public reply")
    data = chat.get("api/messages", conversation=conversation.id, after_seq=seen).json()
    assert [m["body"] for m in data["messages"]] == ["public reply"]
    assert "is_private" not in data["messages"][0] and "meta" not in data["messages"][0]
    assert data["conversation"]["last_seq"] == reply.seq


@pytest.mark.parametrize("after_seq", ["abc", "-1"])
def test_catch_up_explains_a_bad_cursor(chat, after_seq):
    chat.send("one", "c-1")
    conversation = Conversation.objects.get()
    response = chat.get("api/messages", conversation=conversation.id, after_seq=after_seq)
    assert response.status_code == 400
    assert "after_seq" in response.json()["error"]["fields"]


def test_catch_up_answers_in_a_fixed_number_of_queries(chat, django_assert_max_num_queries):
    for n in range(5):
        chat.send(f"m{n}", f"c-{n}")
    conversation = Conversation.objects.get()
    with django_assert_max_num_queries(6):
        response = chat.get("api/messages", conversation=conversation.id, after_seq=0)
    assert len(response.json()["messages"]) == 5


def test_a_visitor_cannot_read_another_visitors_conversation(chat, new_chat):
    chat.send("mine", "c-1")
    stranger = new_chat()
    response = stranger.get("api/messages", conversation=Conversation.objects.get().id)
    assert response.status_code == 404


def test_an_oversized_message_is_refused_with_413(chat, settings):
    settings.MESSAGE_MAX_CHARS = 10
    response = chat.send("x" * 11, "c-1")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "message_too_long"


def test_too_many_messages_answer_429_with_retry_after_and_spare_other_visitors(chat, new_chat, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "visitor_message": "2/min"},
    }
    assert chat.send("1", "c-1").status_code == 201
    assert chat.send("2", "c-2").status_code == 201
    refused = chat.send("3", "c-3")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "rate_limited"
    assert new_chat().send("other visitor", "o-1").status_code == 201


def test_too_many_messages_from_one_address_answer_429(new_chat, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ip_message": "2/min"},
    }
    first, second = new_chat(REMOTE_ADDR="10.0.0.1"), new_chat(REMOTE_ADDR="10.0.0.1")
    assert first.send("1", "a").status_code == 201
    assert second.send("2", "b").status_code == 201
    assert second.send("3", "c").status_code == 429
    assert new_chat(REMOTE_ADDR="10.0.0.2").send("elsewhere", "d").status_code == 201


def test_too_many_new_conversations_answer_429(chat, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "visitor_conversation": "1/hour",
        },
    }
    settings.REOPEN_WINDOW_DAYS = 0
    assert chat.send("first", "c-1").status_code == 201
    Conversation.objects.update(status="resolved", resolved_at=timezone.now() - timedelta(days=1))
    response = chat.send("second", "c-2")
    assert response.status_code == 429
    assert Conversation.objects.count() == 1


def test_a_message_after_resolve_reopens_within_the_window(chat, settings):
    settings.REOPEN_WINDOW_DAYS = 7
    chat.send("first", "c-1")
    Conversation.objects.update(status="resolved", resolved_at=timezone.now() - timedelta(days=6))
    chat.send("again", "c-2")
    conversation = Conversation.objects.get()
    assert conversation.status == "open"
    assert conversation.resolved_at is None
    assert list(conversation.messages.filter(sender="customer").values_list("body", flat=True)) == ["first", "again"]


def test_a_message_after_the_window_starts_a_new_conversation_and_keeps_the_old_one_listed(chat, settings):
    settings.REOPEN_WINDOW_DAYS = 7
    chat.send("first", "c-1")
    Conversation.objects.update(status="resolved", resolved_at=timezone.now() - timedelta(days=8))
    response = chat.send("again", "c-2")
    assert Conversation.objects.count() == 2
    new_id = response.json()["conversation"]["id"]
    listed = [c["id"] for c in chat.get("api/state").json()["conversations"]]
    assert listed[0] == new_id and len(listed) == 2


def test_an_email_is_required_while_away_when_the_inbox_says_so(chat):
    chat.inbox.settings = {"require_email_when_away": True}
    chat.inbox.save()
    # Within hours with nobody online is "away" for the calendar engine.
    chat.inbox.team.members.update(availability="offline")
    assert chat.get("api/state").json()["availability"]["require_email"] is True
    refused = chat.send("hello", "c-1")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "email_required"
    assert "email" in refused.json()["error"]["fields"]
    assert not Conversation.objects.exists()
    accepted = chat.send("hello", "c-1", name="Ada", email="ada@example.com")
    assert accepted.status_code == 201
    assert Conversation.objects.get().customer.email == "ada@example.com"


def test_prechat_is_optional_when_open(chat):
    chat.inbox.settings = {"require_email_when_away": True}
    chat.inbox.save()
    assert chat.send("hello", "c-1").status_code == 201


def test_a_bad_email_in_the_profile_is_refused(chat):
    response = chat.post("api/profile", {"email": "not-an-address"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["email"]


def test_the_state_says_away_and_when_we_are_back_in_the_customers_zone(chat, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    _away(monkeypatch, next_open=datetime(2030, 1, 7, 8, 0, tzinfo=ZoneInfo("UTC")))
    data = chat.get("api/state", tz="Asia/Tokyo", lang="en").json()["availability"]
    assert data["is_open"] is False
    assert "17:00" in data["next_open_text"]
    assert data["next_open_text"] in data["status_text"]
    assert "e-mail" in data["expectation"]


def test_the_state_when_open_promises_a_quick_reply(chat):
    chat.inbox.settings = {"reply_time_text": "We usually reply within an hour."}
    chat.inbox.save()
    data = chat.get("api/state").json()["availability"]
    assert data["is_open"] is True
    assert data["expectation"] == "We usually reply within an hour."


def test_marking_read_moves_the_customer_cursor(chat):
    chat.send("hi", "c-1")
    conversation = Conversation.objects.get()
    reply, _ = message_create(conversation=conversation, sender="agent", author=AgentFactory(), body="reply")
    response = chat.post(f"api/conversations/{conversation.id}/read", {"seq": reply.seq})
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.customer_read_seq == reply.seq
    assert Message.objects.get(pk=reply.pk).delivery_status == Message.Delivery.READ


def test_a_resume_link_restores_identity_and_conversation(chat):
    chat.send("hi", "c-1")
    conversation = Conversation.objects.get()
    other_browser = ChatClient(chat.inbox)
    token = identity.resume_token_make(conversation=conversation)
    response = other_browser.client.get(f"{chat.base}resume/{token}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"?conversation={conversation.id}")
    restored = identity.visitor_from_cookie(inbox=chat.inbox, value=other_browser.cookie)
    assert restored.customer_id == conversation.customer_id


def test_a_tampered_resume_link_is_refused_with_a_message(chat):
    response = ChatClient(chat.inbox).client.get(f"{chat.base}resume/nonsense/")
    assert response.status_code == 401
    assert "not valid" in response.content.decode()


def test_a_link_with_someone_elses_identity_does_not_replace_the_open_chat_without_consent(chat):
    mine = identity.visitor_from_cookie(inbox=chat.inbox, value=chat.cookie)
    assert chat.send("my own question", "mine-1").status_code == 201
    # The sender of the link put their own valid token in it.
    theirs = identity.identity_token_make(inbox=chat.inbox, external_id="attacker", name="Mallory")
    response = chat.open(f"?identity={theirs}")
    assert response.status_code == 200
    assert "Continue as" in response.content.decode() and "Mallory" in response.content.decode()
    assert f"hdchat_{chat.inbox.pk}" not in response.cookies
    assert identity.visitor_from_cookie(inbox=chat.inbox, value=chat.cookie).pk == mine.pk
    # The next message still goes where the visitor's own chat is.
    assert chat.send("still mine", "mine-2").status_code == 201
    assert set(Conversation.objects.filter(customer__external_id="attacker")) == set()

    # Without the form's CSRF token the switch is refused; with it, the visitor chose it.
    url = f"/chat/{chat.inbox.slug}/identity/"
    assert chat.client.post(url, {"identity": theirs}).status_code == 403
    switched = chat.client.post(url, {"identity": theirs, "csrfmiddlewaretoken": chat.csrf})
    assert switched.status_code == 302
    assert identity.visitor_from_cookie(inbox=chat.inbox, value=chat.cookie).customer.external_id == "attacker"
