"""The agent inbox in real browsers against a real daphne: two agents and a customer in three contexts.

A customer message appears live in the right agent's list only, an assignment shows live to the other
agent, resolving moves the conversation, and a private note never reaches the customer."""

import os
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import expect

from conversations.models import Conversation, Message
from helpdesk.models import Agent
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
from tests.helpers import message_create
from tests.live import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def open_inbox(page, view: str | None = None):
    page.goto("/inbox/")
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    if view:
        page.locator(f'.ibx-view[data-view="{view}"]').click()
        expect(page.locator(f'.ibx-view[data-view="{view}"]')).to_have_attribute("aria-current", "page")
    # The socket said hello and caught up: from here on everything arrives live.
    expect(page.locator("body[data-live=true]")).to_be_attached()


def write_elsewhere(**kwargs) -> None:
    """message_create from another thread: Playwright's event loop owns this one, and the broadcast after
    commit needs a thread without a running loop, as in a real web or worker process."""

    def run():
        try:
            message_create(**kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)


def row(page, text: str):
    return page.locator("#conversation-list .ibx-row", has_text=text)


def test_two_agents_and_a_customer_work_one_conversation_live(agent_page, customer_page):
    support = TeamFactory(name="Support", auto_assign=False)
    sales = TeamFactory(name="Sales", auto_assign=False)
    ana = AgentFactory(username="ana", display_name="Ana Alvarez")
    ben = AgentFactory(username="ben", display_name="Ben Becker")
    support.members.add(ana, ben)
    chat_inbox = InboxFactory(kind="webchat", team=support, name="Website chat")
    sales_conversation = ConversationFactory(inbox=InboxFactory(team=sales))

    ana_page, ben_page = agent_page(ana), agent_page(ben)
    open_inbox(ana_page, "unassigned")
    open_inbox(ben_page, "mine")

    customer = customer_page()
    customer.goto(f"/chat/{chat_inbox.slug}/")
    customer.get_by_label("Your message").fill("Where is my parcel?")
    customer.get_by_role("button", name="Send").click()

    # Live in the list of the team that owns it, with the title badge…
    expect(row(ana_page, "Where is my parcel?")).to_be_visible()
    expect(ana_page.locator('[data-count="unassigned"]')).to_have_text("1")
    expect(ana_page).to_have_title("(1) Inbox · Helpdesk")
    # …and not in Ben's Mine, nor anywhere for a conversation of another team.
    write_elsewhere(conversation=sales_conversation, sender="customer", body="Sales question, not yours")
    expect(ben_page.locator('[data-count="unassigned"]')).to_have_text("1")
    expect(row(ben_page, "Where is my parcel?")).to_have_count(0)
    ana_page.locator('.ibx-view[data-view="all"]').click()
    expect(row(ana_page, "Where is my parcel?")).to_be_visible()
    expect(row(ana_page, "Sales question")).to_have_count(0)

    # Ana assigns it to Ben: it appears in Ben's Mine without a reload, with its timeline entry.
    row(ana_page, "Where is my parcel?").click()
    expect(ana_page.locator("#messages")).to_contain_text("Where is my parcel?")
    ana_page.locator("#act-assignee").select_option(str(ben.id))
    expect(ana_page.locator("#messages")).to_contain_text("Ana Alvarez assigned this to Ben Becker")
    expect(row(ben_page, "Where is my parcel?")).to_be_visible()
    expect(ben_page.locator('[data-count="mine"]')).to_have_text("1")

    # Ben writes a private note mentioning Ana, then replies to the customer.
    row(ben_page, "Where is my parcel?").click()
    ben_page.get_by_label("Private note").check()
    composer = ben_page.locator("#composer-text")
    composer.fill("@ana internal only: carrier lost it")
    composer.press("Enter")
    expect(ben_page.locator("#messages .msg-note")).to_contain_text("internal only")
    expect(ana_page.locator("#toast")).to_contain_text("Ben Becker mentioned you")
    ben_page.get_by_label("Reply", exact=True).check()
    composer.fill("It is on its way, arriving tomorrow.")
    composer.press("Enter")

    log = customer.locator("#chat-log")
    expect(log).to_contain_text("It is on its way, arriving tomorrow.")
    expect(log).not_to_contain_text("internal only")
    conversation = Conversation.objects.get(inbox=chat_inbox)
    note = Message.objects.get(conversation=conversation, body__contains="internal only")
    assert note.is_private and note.meta["mentions"] == [ana.id]

    # Ben resolves it with the keyboard: it leaves his Mine and shows up under Resolved for Ana.
    ben_page.locator("#messages").click()
    ben_page.keyboard.press("e")
    expect(row(ben_page, "Where is my parcel?")).to_have_count(0)
    expect(ben_page.locator('[data-count="resolved"]')).to_have_text("1")
    ana_page.locator('.ibx-view[data-view="resolved"]').click()
    expect(row(ana_page, "It is on its way")).to_be_visible()
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).status == "resolved", message="the resolve")


def test_a_reconnecting_agent_catches_up_on_what_happened_while_away(agent_page):
    team = TeamFactory(auto_assign=False)
    agent = AgentFactory()
    team.members.add(agent)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))
    page = agent_page(agent)
    state = {"block": False}

    def route(ws):
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(message))
        server.on_message(lambda message: None if state["block"] else ws.send(message))

    page.route_web_socket("**/ws/agent/", route)
    open_inbox(page, "all")
    # Frames are lost on the way: the event log must fill the hole.
    state["block"] = True
    write_elsewhere(conversation=conversation, sender="customer", body="sent while the socket was deaf")
    state["block"] = False
    write_elsewhere(conversation=conversation, sender="customer", body="and one more")
    expect(row(page, "and one more")).to_be_visible()
    row(page, "and one more").click()
    expect(page.locator("#messages")).to_contain_text("sent while the socket was deaf")


def test_the_demo_inbox_on_a_laptop_and_a_phone(agent_page, tmp_path):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    ana = Agent.objects.get(username="ana")
    target = SCREENSHOTS if os.environ.get("INBOX_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)

    page = agent_page(ana)
    page.set_viewport_size({"width": 1440, "height": 900})
    open_inbox(page, "all")
    expect(row(page, "Mia Müller")).to_be_visible()
    row(page, "Mia Müller").click()
    expect(page.locator("#panel")).to_contain_text("mia@example.com")
    page.get_by_label("Private note").check()
    page.locator("#composer-text").fill("@ben could you check the carrier?")
    page.screenshot(path=str(target / "inbox.png"))
    page.get_by_label("Reply", exact=True).check()
    page.locator("#composer-text").fill("/")
    expect(page.locator("#suggestions")).to_contain_text("/tracking")
    expect(page.locator("#suggestions")).to_be_visible()
    page.screenshot(path=str(target / "inbox-canned.png"))
    page.locator("#composer-text").fill("/tr")
    page.locator("#composer-text").press("Enter")
    expect(page.locator("#composer-text")).to_have_value(
        "You can follow your parcel at https://example.com/track with your order number."
    )

    phone = agent_page(ana)
    phone.set_viewport_size({"width": 390, "height": 844})
    open_inbox(phone, "all")
    expect(phone.locator("#thread")).to_be_hidden()
    phone.screenshot(path=str(target / "inbox-phone-list.png"))
    row(phone, "Mia Müller").click()
    expect(phone.locator("#conversation-list")).to_be_hidden()
    expect(phone.locator("#messages")).to_contain_text("order #1042")
    phone.screenshot(path=str(target / "inbox-phone-thread.png"))
    assert (target / "inbox.png").stat().st_size > 0


FAKE_NOTIFICATIONS = """
Object.defineProperty(document, "hidden", { get: () => true });
window.__notes = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push({ title, body: options.body }); }
};
"""


def test_a_burst_of_customer_messages_is_one_notification(agent_page):
    team = TeamFactory(auto_assign=False)
    agent = AgentFactory()
    team.members.add(agent)
    conversations = [ConversationFactory(inbox=InboxFactory(team=team)) for _ in range(3)]
    page = agent_page(agent)
    page.add_init_script(FAKE_NOTIFICATIONS)
    open_inbox(page, "unassigned")

    for number, conversation in enumerate(conversations):
        write_elsewhere(conversation=conversation, sender="customer", body=f"burst {number}")

    page.wait_for_function("window.__notes.length > 0")
    page.wait_for_timeout(3500)  # one more coalescing window: nothing else may follow
    notes = page.evaluate("window.__notes")
    assert len(notes) == 1 and notes[0]["title"] == "3 new messages"
    assert all(c.customer.name in notes[0]["body"] for c in conversations)


def test_a_reply_whose_answers_were_lost_is_stored_once_when_sent_again(agent_page):
    team = TeamFactory(auto_assign=False)
    agent = AgentFactory()
    team.members.add(agent)
    conversation = ConversationFactory(inbox=InboxFactory(team=team))
    message_create(conversation=conversation, sender="customer", body="Is my refund through?")
    page = agent_page(agent)
    drops = {"left": 3}

    def lose_the_answer(route):
        if route.request.method != "POST" or drops["left"] == 0:
            route.continue_()
            return
        # The request reaches the server (the reply is stored), the answer never reaches the page.
        route.fetch()
        drops["left"] -= 1
        route.abort("connectionreset")

    page.route("**/api/v1/conversations/*/messages/", lose_the_answer)
    open_inbox(page, "all")
    row(page, "Is my refund through?").click()
    composer = page.locator("#composer-text")
    composer.fill("Yes, it went out this morning.")
    composer.press("Enter")
    # Three tries, three lost answers: the text comes back with the error, nothing typed is lost.
    expect(page.locator("#composer-error")).to_be_visible(timeout=15000)
    expect(composer).to_have_value("Yes, it went out this morning.")
    assert drops["left"] == 0
    with page.expect_response(lambda r: r.request.method == "POST" and "/messages/" in r.url) as answer:
        composer.press("Enter")
    # The resend carries the first client_id: the server returns the reply it stored (200, not 201).
    assert answer.value.status == 200
    expect(page.locator("#messages")).to_contain_text("Yes, it went out this morning.")
    expect(page.locator("#composer-error")).to_be_hidden()
    replies = Message.objects.filter(conversation=conversation, sender="agent")
    assert [reply.body for reply in replies] == ["Yes, it went out this morning."]
