"""History and activity timeline across channels, scoped to the agent, and the profile page."""

import pytest
from django.test import Client

from conversations.services.messages import system_message_create
from customers import services as customer_services
from tests.factories import (
    AgentFactory,
    ChannelIdentityFactory,
    ConversationFactory,
    CustomerFactory,
    InboxFactory,
    TeamFactory,
)
from tests.helpers import message_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_history(agent):
    """One customer with a chat conversation in the agent's team, a WhatsApp one in another team."""
    customer = CustomerFactory(name="Mia <script>alert(1)</script>")
    mine = ConversationFactory(
        customer=customer,
        inbox=InboxFactory(team=agent.teams.first(), kind="webchat", name="Website"),
        context={"page_url": "https://shop.example/cart"},
    )
    other = ConversationFactory(customer=customer, inbox=InboxFactory(team=TeamFactory(), kind="whatsapp"))
    message_create(conversation=mine, sender="customer", body="Hi", meta={"page_url": "https://shop.example/checkout"})
    message_create(
        conversation=mine, sender="customer", body="Hello?", meta={"page_url": "https://shop.example/checkout"}
    )
    message_create(conversation=mine, sender="customer", body="x", meta={"page_url": "javascript:alert(1)"})
    message_create(conversation=mine, sender="agent", author=agent, body="Hello!")
    system_message_create(conversation=mine, body="Ana resolved this", event="resolved", is_private=True)
    message_create(conversation=other, sender="customer", body="Hola")
    return customer, mine, other


def test_the_history_lists_only_conversations_the_agent_may_see(
    api_client, agent, customer_history, django_assert_max_num_queries
):
    customer, mine, other = customer_history
    api_client.force_authenticate(agent)
    with django_assert_max_num_queries(15):  # one more: the labels every conversation view carries
        data = api_client.get(f"/api/v1/customers/{customer.id}/history/").json()
    assert [c["id"] for c in data["conversations"]] == [mine.id]
    assert data["hidden_conversations"] == 1
    [row] = data["conversations"]
    mine.refresh_from_db()
    expected = {"id": mine.assignee.id, "name": mine.assignee.name} if mine.assignee else None
    assert row["assignee"] == expected
    assert row["status"] == mine.status
    assert row["first_response_seconds"] is not None
    assert row["inbox"]["kind"] == "webchat"
    assert {c["kind"] for c in data["channels"]} == {"webchat", "whatsapp"}


def test_a_supervisor_sees_every_channel(api_client, supervisor, customer_history):
    customer, mine, other = customer_history
    api_client.force_authenticate(supervisor)
    data = api_client.get(f"/api/v1/customers/{customer.id}/history/").json()
    assert {c["id"] for c in data["conversations"]} == {mine.id, other.id}
    assert data["hidden_conversations"] == 0


def test_the_timeline_shows_conversations_status_changes_pages_and_profile_changes(api_client, agent, customer_history):
    customer, mine, _ = customer_history
    customer_services.customer_update(customer=customer, data={"status": "vip"}, actor=agent)
    api_client.force_authenticate(agent)
    timeline = api_client.get(f"/api/v1/customers/{customer.id}/history/").json()["timeline"]
    kinds = [e["kind"] for e in timeline]
    assert kinds.count("conversation") == 1
    assert {"status", "page", "status_changed"} <= set(kinds)
    pages = [e["page_url"] for e in timeline if e["kind"] == "page"]
    assert pages == ["https://shop.example/checkout"], "one visit per page run, and no javascript: links"
    assert next(e for e in timeline if e["kind"] == "status")["text"] == "Ana resolved this"
    assert next(e for e in timeline if e["kind"] == "status_changed")["text"] == "Status changed from lead to vip"


def test_the_history_refuses_anonymous_callers(api_client, customer_history):
    customer, _, _ = customer_history
    assert api_client.get(f"/api/v1/customers/{customer.id}/history/").status_code in (401, 403)


def test_the_profile_page_needs_a_login_and_escapes_what_customers_wrote(agent, customer_history):
    customer, mine, other = customer_history
    ChannelIdentityFactory(customer=customer, kind="messenger")
    client = Client()
    assert client.get(f"/customers/{customer.id}/").status_code == 302
    client.force_login(agent)
    page = client.get(f"/customers/{customer.id}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "Mia &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "https://shop.example/checkout" in page
    assert 'href="javascript:' not in page
    assert "1 more in teams you are not part of" in page
    assert "csrfmiddlewaretoken" in page
    assert "Messenger" in page


def test_notes_and_merges_from_the_page_need_csrf_and_report_problems(agent):
    customer, other = CustomerFactory(), CustomerFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(f"/customers/{customer.id}/notes/", {"body": "x"}).status_code == 403

    client = Client()
    client.force_login(agent)
    response = client.post(f"/customers/{customer.id}/notes/", {"body": "Prefers <b>phone</b>"}, follow=True)
    assert "Prefers &lt;b&gt;phone&lt;/b&gt;" in response.content.decode()
    response = client.post(f"/customers/{customer.id}/merge/", {"source_id": customer.id}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()
    response = client.post(f"/customers/{customer.id}/merge/", {"source_id": other.id}, follow=True)
    assert f"Profile #{other.id} merged into this one" in response.content.decode()


def test_an_agent_outside_every_team_still_sees_team_less_conversations(api_client):
    loner = AgentFactory()
    customer = CustomerFactory()
    teamless = ConversationFactory(customer=customer, inbox=InboxFactory(team=None), team=None)
    api_client.force_authenticate(loner)
    data = api_client.get(f"/api/v1/customers/{customer.id}/history/").json()
    assert [c["id"] for c in data["conversations"]] == [teamless.id]


def test_the_edit_form_saves_typed_attributes_and_shows_errors_without_losing_input(agent):
    from tests.factories import CustomAttributeDefinitionFactory

    CustomAttributeDefinitionFactory(key="seats", label="Seats", type="number")
    CustomAttributeDefinitionFactory(key="plan", label="Plan", type="choice", choices=["free", "pro"])
    customer = CustomerFactory(name="Mia", email="mia@example.com")
    client = Client()
    client.force_login(agent)
    form = {
        "name": "Mia Müller",
        "emails": "mia@example.com\nmia@work.example",
        "phones": "",
        "status": "vip",
        "company": "Acme",
        "labels": "beta, vip",
        "attr_seats": "lots",
        "attr_plan": "pro",
    }
    response = client.post(f"/customers/{customer.id}/edit/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Seats must be a number" in html
    assert 'value="Acme"' in html, "what was typed is kept"
    customer.refresh_from_db()
    assert customer.company == ""

    response = client.post(f"/customers/{customer.id}/edit/", {**form, "attr_seats": "12"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.status, customer.company) == ("Mia Müller", "vip", "Acme")
    assert customer.emails == ["mia@example.com", "mia@work.example"]
    assert customer.labels == ["beta", "vip"]
    assert customer.custom_attributes == {"seats": 12, "plan": "pro"}
