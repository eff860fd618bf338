"""The chat page in a real browser against a real daphne: nothing the visitor writes or is sent is lost,
doubled, or run as code."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from conversations.models import Conversation, Message
from tests.factories import AgentFactory, InboxFactory
from tests.live import agent_message_post, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(live_server):
    inbox = InboxFactory(kind="webchat", name="Acme Support")
    inbox.team.members.add(AgentFactory())
    return inbox


def _write(page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.get_by_role("button", name="Send").click()


def _wait(page, predicate, message: str, timeout_ms: int = 20000):
    """Poll while letting Playwright dispatch its events (route handlers run only inside its calls)."""
    for _ in range(timeout_ms // 100):
        if predicate():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {message}")


def _customer_messages() -> list[str]:
    return list(Message.objects.filter(sender="customer").order_by("seq").values_list("body", flat=True))


def _agent_reply(server, body: str) -> int:
    """An agent answers through the REST API of the live server, as the inbox does."""
    conversation = Conversation.objects.get()
    agent = AgentFactory()
    conversation.inbox.team.members.add(agent)
    token = Token.objects.create(user=agent)
    status, answer = agent_message_post(server, token.key, conversation.id, body, timeout=10)
    assert status == 201
    return answer["seq"]


def test_a_visitor_who_left_sees_the_agents_reply_when_they_come_back(customer_page, live_server, inbox):
    page = customer_page()
    context = page.context
    page.goto(f"/chat/{inbox.slug}/")
    _write(page, "Is my order on its way?")
    log = page.locator("#chat-log")
    expect(log.locator(".chat-msg--customer[data-seq]")).to_have_count(1)
    wait_for(lambda: _customer_messages() == ["Is my order on its way?"], message="the message to be stored")
    page.close()

    _agent_reply(live_server, "Yes, it left the warehouse this morning.")

    page = context.new_page()
    page.goto(f"/chat/{inbox.slug}/")
    expect(page.locator("#chat-log")).to_contain_text("Is my order on its way?")
    expect(page.locator("#chat-log .chat-msg--agent .chat-msg-body")).to_have_text(
        "Yes, it left the warehouse this morning."
    )
    # Coming back and seeing it counts as reading it: the agent gets the receipt.
    wait_for(lambda: Conversation.objects.get().customer_read_seq == Conversation.objects.get().last_seq)


def test_a_message_the_server_failed_on_is_sent_again_by_itself_on_the_open_socket(customer_page, inbox):
    page = customer_page()
    state = {"failed": 0, "routes": 0}

    def route(ws):
        state["routes"] += 1
        server = ws.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            if frame.get("type") == "message" and state["failed"] == 0:
                # The server answers it failed (and stored nothing); the socket stays open.
                state["failed"] += 1
                ws.send(json.dumps({"type": "error", "code": "server_error", "message": "Something failed.",
                                    "ref": frame.get("ref"), "client_id": frame["client_id"]}))  # fmt: skip
                return
            server.send(message)

        ws.on_message(from_page)
        server.on_message(lambda message: ws.send(message))

    page.route_web_socket("**/ws/chat/**", route)
    page.goto(f"/chat/{inbox.slug}/")
    # Over the socket, not the HTTP fallback a page uses before its socket is up.
    expect(page.locator("body[data-live=true]")).to_be_attached()
    _write(page, "Is anyone there?")
    expect(page.locator("#chat-log .chat-msg--customer[data-seq]")).to_have_count(1, timeout=10000)
    assert state == {"failed": 1, "routes": 1}  # resent on the same socket, no reconnect needed
    assert _customer_messages() == ["Is anyone there?"]


def test_a_cut_socket_loses_and_doubles_nothing(customer_page, live_server, inbox):
    page = customer_page()
    state = {"drop": False, "routes": 0}

    def route(ws):
        state["routes"] += 1
        server = ws.connect_to_server()

        def from_page(message):
            if state["drop"] and '"type":"message"' in message:
                # The frame never reaches the server and the connection dies: no ack will come.
                state["drop"] = False
                ws.close(code=4000, reason="cut")
                return
            server.send(message)

        ws.on_message(from_page)
        server.on_message(lambda message: ws.send(message))

    page.route_web_socket("**/ws/chat/**", route)
    page.goto(f"/chat/{inbox.slug}/")
    _write(page, "first")
    expect(page.locator("#chat-log .chat-msg--customer[data-seq]")).to_have_count(1)

    state["drop"] = True
    _write(page, "second")
    _wait(page, lambda: state["routes"] >= 2, "the page to reconnect")
    _agent_reply(live_server, "reply written while the socket was down")
    _write(page, "third")

    log = page.locator("#chat-log")
    expect(log.locator(".chat-msg--customer[data-seq]")).to_have_count(3)
    expect(log.locator(".chat-msg--agent .chat-msg-body")).to_have_text(["reply written while the socket was down"])
    wait_for(lambda: len(_customer_messages()) == 3, message="three stored messages")
    assert _customer_messages() == ["first", "second", "third"]
    assert log.locator("li:not([data-seq])").count() == 0
    # Each seq is on the page once, and in order.
    seqs = [int(s) for s in log.locator("li[data-seq]").evaluate_all("nodes => nodes.map(n => n.dataset.seq)")]
    assert seqs == sorted(set(seqs))


def test_an_xss_payload_shows_as_text_and_links_are_safe(customer_page, live_server, inbox):
    page = customer_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/chat/{inbox.slug}/")
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    _write(page, payload)
    expect(page.locator("#chat-log .chat-msg--customer[data-seq] .chat-msg-body")).to_have_text(payload)
    wait_for(lambda: _customer_messages() == [payload], message="the message to be stored")
    _agent_reply(live_server, 'See https://example.com/help and javascript:alert(3) <b onmouseover="alert(4)">x</b>')
    body = page.locator("#chat-log .chat-msg--agent .chat-msg-body")
    expect(body).to_contain_text('<b onmouseover="alert(4)">x</b>')
    link = body.locator("a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://example.com/help")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert page.locator("#chat-log img, #chat-log script, #chat-log b").count() == 0
    assert dialogs == []


class HostSite:
    """A company's own site on another origin, with the embed snippet in its page."""

    def __init__(self, snippet: str):
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        from helpdesk.devservers import free_port

        page = f"<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>{snippet}</body></html>"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def test_the_embed_snippet_opens_the_chat_on_a_companys_own_site(customer_page, live_server, inbox):
    site = HostSite(f'<script src="{live_server.url}/static/embed.js" data-inbox="{inbox.slug}" defer></script>')
    try:
        inbox.settings = {"embed_origins": [site.origin]}
        inbox.save()
        page = customer_page()
        page.goto(site.origin + "/products/42")
        page.get_by_role("button", name="Chat with us").click()
        frame = page.frame_locator("iframe[title=Chat]")
        frame.get_by_label("Your message").fill("Do you ship to Norway?")
        frame.get_by_role("button", name="Send").click()
        expect(frame.locator(".chat-msg--customer[data-seq]")).to_have_count(1)
        wait_for(lambda: _customer_messages() == ["Do you ship to Norway?"], message="the message to be stored")
        conversation = Conversation.objects.get()
        assert conversation.context["page_url"] == site.origin + "/products/42"
        assert conversation.context["user_agent"]
    finally:
        site.close()


def test_while_away_the_page_asks_for_an_email_before_the_message_goes(customer_page, live_server, inbox):
    inbox.settings = {"require_email_when_away": True}
    inbox.save()
    inbox.team.members.update(availability="offline")
    page = customer_page()
    page.goto(f"/chat/{inbox.slug}/")
    expect(page.locator("#chat-status")).to_contain_text("away")
    _write(page, "Anyone there?")
    expect(page.locator("#chat-error")).to_contain_text("e-mail")
    assert _customer_messages() == []
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-log .chat-msg--customer[data-seq]")).to_have_count(1)
    expect(page.locator("#chat-expectation")).to_contain_text("e-mail you")
    wait_for(lambda: _customer_messages() == ["Anyone there?"], message="the message to be stored")
    assert Conversation.objects.get().customer.email == "ada@example.com"


def test_typing_and_read_receipts_go_both_ways(customer_page, live_server, inbox):
    from websockets.sync.client import connect

    from tests.live import session_cookie_for

    page = customer_page()
    page.goto(f"/chat/{inbox.slug}/")
    _write(page, "Can you check my invoice?")
    expect(page.locator("#chat-log .chat-msg--customer[data-seq]")).to_have_count(1)
    wait_for(lambda: _customer_messages() == ["Can you check my invoice?"], message="the message to be stored")
    conversation = Conversation.objects.get()
    agent = AgentFactory(display_name="Ben")
    inbox.team.members.add(agent)
    customer_seq = conversation.messages.get(sender="customer").seq

    with connect(
        f"{live_server.ws_url}/ws/agent/",
        additional_headers={"Cookie": session_cookie_for(agent), "Origin": live_server.url},
        open_timeout=10,
    ) as agent_socket:

        def next_frame(predicate):
            while True:
                frame = json.loads(agent_socket.recv(timeout=10))
                if predicate(frame):
                    return frame

        next_frame(lambda f: f["type"] == "hello")
        # Agent → customer: typing, then the read receipt.
        agent_socket.send(json.dumps({"type": "typing", "conversation_id": conversation.id, "is_typing": True}))
        expect(page.locator("#chat-typing")).to_contain_text("is typing")
        agent_socket.send(json.dumps({"type": "read", "conversation_id": conversation.id, "seq": customer_seq}))
        expect(page.locator("#chat-log .chat-msg--customer .chat-msg-meta")).to_have_text("Seen")

        # Customer → agent: typing, then reading the agent's reply.
        page.get_by_label("Your message").press_sequentially("Th")
        typing = next_frame(lambda f: f["type"] == "customer.typing")
        assert typing == {"type": "customer.typing", "conversation_id": conversation.id, "is_typing": True}
        reply_seq = _agent_reply(live_server, "Checked: it is paid.")
        read = next_frame(lambda f: f.get("event") == "conversation.read" and f["data"]["by"] == "customer")
        assert read["data"]["seq"] >= reply_seq


def test_a_customer_sees_their_earlier_conversations(customer_page, live_server, inbox, settings):
    page = customer_page()
    page.goto(f"/chat/{inbox.slug}/")
    _write(page, "An old question")
    wait_for(lambda: _customer_messages() == ["An old question"], message="the message to be stored")
    _agent_reply(live_server, "An old answer")
    old_resolution = timezone.now() - timedelta(days=settings.REOPEN_WINDOW_DAYS + 1)
    Conversation.objects.update(status="resolved", resolved_at=old_resolution)

    page.reload()
    _write(page, "A new question")
    wait_for(lambda: Conversation.objects.count() == 2, message="a new conversation")
    expect(page.locator("#chat-log .chat-msg-body")).to_have_text(["A new question"])
    history = page.locator("#chat-history")
    expect(history).to_be_visible()
    history.locator("summary").click()
    history.get_by_role("button").click()
    expect(history.locator(".chat-msg-body")).to_have_text(["An old question", "An old answer"])


def test_a_reply_after_private_notes_arrives_live_without_a_catch_up(customer_page, live_server, inbox):
    page = customer_page()
    page.goto(f"/chat/{inbox.slug}/")
    _write(page, "Hello?")
    expect(page.locator("#chat-log .chat-msg--customer[data-seq]")).to_have_count(1)
    expect(page.locator("body[data-live=true]")).to_be_attached()
    fetches = []
    page.on("request", lambda r: fetches.append(r.url) if "/api/messages?" in r.url else None)

    conversation = Conversation.objects.get()
    agent = AgentFactory()
    conversation.inbox.team.members.add(agent)
    token = Token.objects.create(user=agent)
    for body, private in [("checking the order", True), ("carrier says Friday", True), ("It ships Friday.", False)]:
        agent_message_post(live_server, token.key, conversation.id, body, private=private, timeout=10)

    expect(page.locator("#chat-log .chat-msg--agent .chat-msg-body")).to_have_text(["It ships Friday."])
    page.wait_for_timeout(500)
    # The notes took seqs the page never gets; the reply's frame says what came before it, so the page
    # knows it missed nothing and fetches nothing.
    assert fetches == []
    expect(page.locator("#chat-log")).not_to_contain_text("carrier says")
