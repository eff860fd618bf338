"""The open thread follows what happens elsewhere without a reload: a WhatsApp reply's delivery states as the
platform's signed status webhooks arrive, the customer typing on the chat page, and a dropped socket."""

import itertools
import json
import threading
import urllib.request

import pytest
from django.db import connection
from playwright.sync_api import expect

from conversations.connectors.meta import signature_for
from conversations.models import Conversation, Message
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.fakes import FakeServer
from tests.helpers import message_create
from tests.live import LiveServer, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APP_SECRET = "whatsapp-app-secret"
PHONE_NUMBER_ID = "106540352242922"
CUSTOMER_WA_ID = "16315551181"


@pytest.fixture
def graph():
    """WhatsApp's Graph API: takes every message and names it wamid.OUT1, wamid.OUT2…"""
    numbers = itertools.count(1)
    server = FakeServer(
        lambda request: (200, {}, {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.OUT{next(numbers)}"}]})
    )
    yield server
    server.close()


@pytest.fixture
def live_server(transactional_db, graph):
    """The conftest's live server, sending WhatsApp replies to the fake Graph API."""
    server = LiveServer(CELERY_TASK_ALWAYS_EAGER="1", WHATSAPP_GRAPH_URL=graph.url)
    yield server
    server.stop()


def open_inbox(page):
    page.goto("/inbox/")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    page.locator('.ibx-view[data-view="all"]').click()
    expect(page.locator("body[data-live=true]")).to_be_attached()


def row(page, text: str):
    return page.locator("#conversation-list .ibx-row", has_text=text)


def whatsapp_hook(server, value: dict) -> dict:
    """A webhook from WhatsApp to the live server, signed with the inbox's app secret."""
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_NUMBER_ID}, **value}
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{server.url}/hooks/whatsapp/wa-live/",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature_for(APP_SECRET, body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def status(wamid: str, name: str, **extra) -> dict:
    return {
        "statuses": [{"id": wamid, "status": name, "timestamp": "1749416400", "recipient_id": CUSTOMER_WA_ID, **extra}]
    }


def reply(page, text: str) -> str:
    """Send a reply from the open thread; returns the WhatsApp id the platform gave it."""
    composer = page.locator("#composer-text")
    composer.fill(text)
    composer.press("Enter")
    return wait_for(
        lambda: Message.objects.filter(body=text).values_list("external_id", flat=True).first(),
        message="the reply to reach WhatsApp",
    )


def delivery_of(page, text: str):
    return page.locator("#messages .msg-agent", has_text=text).locator(".msg-delivery")


def test_a_whatsapp_replys_delivery_state_follows_the_platforms_status_webhooks(agent_page, live_server, graph):
    team = TeamFactory(auto_assign=False)
    agent = AgentFactory()
    team.members.add(agent)
    InboxFactory(
        kind="whatsapp",
        slug="wa-live",
        team=team,
        external_id=PHONE_NUMBER_ID,
        settings={"access_token": "EAAG-token", "app_secret": APP_SECRET},
    )
    message = {"from": CUSTOMER_WA_ID, "id": "wamid.IN1", "timestamp": "1749416383", "type": "text"}
    whatsapp_hook(
        live_server,
        {
            "contacts": [{"profile": {"name": "Kerry Fisher"}, "wa_id": CUSTOMER_WA_ID}],
            "messages": [{**message, "text": {"body": "Has my order shipped?"}}],
        },
    )
    page = agent_page(agent)
    open_inbox(page)
    row(page, "Has my order shipped?").click()
    expect(page.locator("#messages")).to_contain_text("Has my order shipped?")

    wamid = reply(page, "It left this morning.")
    badge = delivery_of(page, "It left this morning.")
    expect(badge).to_have_text("Sent")  # the Graph API took it
    assert graph.requests[-1]["json"]["text"]["body"] == "It left this morning."
    whatsapp_hook(live_server, status(wamid, "delivered"))
    expect(badge).to_have_text("Delivered")
    whatsapp_hook(live_server, status(wamid, "read"))
    expect(badge).to_have_text("Read")
    expect(badge).to_have_attribute("data-status", "read")

    # A later reply fails on WhatsApp's side: the thread says why, and a late "delivered" does not hide it.
    wamid = reply(page, "Here is a voucher.")
    badge = delivery_of(page, "Here is a voucher.")
    expect(badge).to_have_text("Sent")
    reason = "Message failed to send because more than 24 hours have passed since the customer last replied."
    error = {"code": 131047, "title": "Re-engagement message", "error_data": {"details": reason}}
    whatsapp_hook(live_server, status(wamid, "failed", errors=[error]))
    expect(badge).to_have_text(f"Failed: {reason}")
    whatsapp_hook(live_server, status(wamid, "delivered"))
    assert Message.objects.get(external_id=wamid).delivery_status == "failed"
    page.reload()
    expect(page.locator("body[data-live=true]")).to_be_attached()
    expect(delivery_of(page, "Here is a voucher.")).to_have_text(f"Failed: {reason}")
    expect(delivery_of(page, "It left this morning.")).to_have_text("Read")


def test_the_inbox_shows_the_customer_typing_on_the_chat_page(agent_page, customer_page, live_server):
    team = TeamFactory(auto_assign=False)
    agent = AgentFactory()
    team.members.add(agent)
    chat_inbox = InboxFactory(kind="webchat", team=team, name="Website chat")
    customer = customer_page()
    customer.goto(f"/chat/{chat_inbox.slug}/")
    customer.get_by_label("Your message").fill("Do you have it in blue?")
    customer.get_by_role("button", name="Send").click()
    expect(customer.locator("#chat-log .chat-msg--customer[data-seq]")).to_have_count(1)

    page = agent_page(agent)
    open_inbox(page)
    row(page, "Do you have it in blue?").click()
    expect(page.locator("#messages")).to_contain_text("Do you have it in blue?")
    expect(page.locator("#typing")).to_have_text("")

    expect(customer.locator("body[data-live=true]")).to_be_attached()
    customer.get_by_label("Your message").press_sequentially("And in gre")
    listed = page.locator(f'.ibx-row[data-id="{Conversation.objects.get(inbox=chat_inbox).id}"]')
    expect(page.locator("#typing")).to_have_text("Customer is typing…")
    expect(listed.locator(".ibx-row-typing")).to_have_text("Typing…")
    # The page says it stopped after a few idle seconds; the indicator goes with it.
    expect(page.locator("#typing")).to_have_text("", timeout=15000)
    expect(listed.locator(".ibx-row-typing")).to_have_count(0)
    expect(listed).to_contain_text("Do you have it in blue?")


def test_a_dropped_agent_socket_reconnects_and_catches_up_on_what_came_meanwhile(agent_page):
    team = TeamFactory(auto_assign=False)
    agent = AgentFactory()
    team.members.add(agent)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))
    message_create(conversation=conversation, sender="customer", body="before the drop")
    page = agent_page(agent)
    state = {"hold": False, "routes": [], "held": []}

    def wire(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message))
        server.on_message(lambda message: ws.send(message))

    def route(ws):
        state["routes"].append(ws)
        if state["hold"]:
            state["held"].append(ws)  # the page's new socket waits until the test lets it through
            return
        wire(ws)

    page.route_web_socket("**/ws/agent/", route)
    open_inbox(page)
    row(page, "before the drop").click()
    expect(page.locator("#messages")).to_contain_text("before the drop")

    state["hold"] = True
    state["routes"][-1].close(code=1011, reason="the network went away")
    expect(page.locator("body[data-live=true]")).not_to_be_attached()
    for _ in range(100):  # the page retries after its backoff
        if state["held"]:
            break
        page.wait_for_timeout(100)
    assert state["held"], "the page did not reconnect"

    thread = threading.Thread(
        target=lambda: (
            message_create(conversation=conversation, sender="customer", body="written while it was down"),
            connection.close(),
        )
    )
    thread.start()
    thread.join(timeout=30)
    assert Conversation.objects.get(pk=conversation.pk).last_seq == 2

    wire(state["held"][-1])
    expect(page.locator("body[data-live=true]")).to_be_attached()
    expect(page.locator("#messages")).to_contain_text("written while it was down")
    expect(row(page, "written while it was down")).to_be_visible()
