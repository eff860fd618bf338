"""The customer profile page in a real browser against a real daphne: history, notes, editing."""

import pytest

from customers.models import Customer
from tests.factories import ConversationFactory, CustomAttributeDefinitionFactory, CustomerFactory, InboxFactory
from tests.helpers import message_create
from tests.live import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class _NoSettingsOverride:
    def enable(self):
        pass

    def disable(self):
        pass


@pytest.fixture
def live_server(transactional_db):
    """The shared daphne fixture, with what pytest-django's autouse live-server helper expects of a fixture
    of this name."""
    server = LiveServer(CELERY_TASK_ALWAYS_EAGER="1")
    server._live_server_modified_settings = _NoSettingsOverride()
    yield server
    server.stop()


def test_an_agent_reads_the_history_adds_a_note_and_edits_the_profile(agent_page, agent):
    CustomAttributeDefinitionFactory(key="seats", label="Seats", type="number")
    customer = CustomerFactory(name="<img src=x onerror=alert(1)>Mia", email="mia@example.com")
    conversation = ConversationFactory(customer=customer, inbox=InboxFactory(team=agent.teams.first(), name="Website"))
    message_create(
        conversation=conversation, sender="customer", body="Hi", meta={"page_url": "https://shop.example/cart"}
    )

    page = agent_page(agent)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/customers/{customer.id}/")
    heading = page.get_by_role("heading", level=2).first
    assert heading.inner_text() == "<img src=x onerror=alert(1)>Mia"
    assert page.get_by_text("https://shop.example/cart").count() >= 1
    assert page.get_by_text(f"#{conversation.id}").count() >= 1

    page.get_by_label("Add a note").fill("Prefers e-mail")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_selector("text=Note added.")
    assert page.locator(".customer-note-body").first.inner_text() == "Prefers e-mail"

    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("Company").fill("Acme")
    page.get_by_label("Seats").fill("lots")
    page.get_by_role("button", name="Save profile").click()
    assert page.get_by_role("alert").inner_text().startswith("Nothing was saved")
    assert page.get_by_label("Company").input_value() == "Acme"
    page.get_by_label("Seats").fill("12")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_selector("text=Profile saved.")
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.company == "Acme"
    assert customer.custom_attributes == {"seats": 12}
    assert dialogs == [], "nothing a customer wrote ran as script"
