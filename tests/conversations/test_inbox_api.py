"""The inbox list, counts, thread and canned responses: views, filters, search, keyset pages, scoping and
constant query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import CannedResponse, Conversation, Label
from tests.factories import AgentFactory, ConversationFactory, CustomerFactory, InboxFactory, TeamFactory
from tests.helpers import message_create

pytestmark = pytest.mark.django_db

LIST = "/api/v1/inbox/conversations/"


@pytest.fixture
def team():
    return TeamFactory(auto_assign=False)


@pytest.fixture
def me(team):
    agent = AgentFactory()
    team.members.add(agent)
    return agent


@pytest.fixture
def client(api_client, me):
    api_client.force_authenticate(me)
    return api_client


def waiting(team, minutes, status="open", **kwargs) -> Conversation:
    conversation = ConversationFactory(inbox=kwargs.pop("inbox", None) or InboxFactory(team=team), **kwargs)
    message_create(conversation=conversation, sender="customer", body="Hello there")
    # The status is set after the message: a customer message reopens a pending or snoozed conversation.
    Conversation.objects.filter(pk=conversation.pk).update(
        status=status, waiting_since=timezone.now() - timedelta(minutes=minutes)
    )
    return conversation


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_longest_waiting_comes_first(client, team):
    short, long_, middle = waiting(team, 1), waiting(team, 60), waiting(team, 10)
    assert ids(client.get(LIST)) == [long_.id, middle.id, short.id]


def test_views_split_mine_unassigned_team_snoozed_and_resolved(client, team, me):
    mine = waiting(team, 5, assignee=me)
    colleague = AgentFactory()
    team.members.add(colleague)
    theirs = waiting(team, 4, assignee=colleague)
    nobodys = waiting(team, 3)
    snoozed = waiting(team, 2, status="snoozed")
    resolved = waiting(team, 1, status="resolved")

    assert ids(client.get(LIST, {"view": "mine"})) == [mine.id]
    assert ids(client.get(LIST, {"view": "unassigned"})) == [nobodys.id]
    assert ids(client.get(LIST, {"view": "team"})) == [mine.id, theirs.id, nobodys.id]
    assert ids(client.get(LIST, {"view": "snoozed"})) == [snoozed.id]
    assert ids(client.get(LIST, {"view": "resolved"})) == [resolved.id]

    counts = client.get("/api/v1/inbox/counts/").json()
    assert counts["mine"] == 1 and counts["unassigned"] == 1 and counts["team"] == 3
    assert counts["all"] == 3 and counts["snoozed"] == 1 and counts["resolved"] == 1
    assert counts["unread_mine"] == 1 and counts["unread_unassigned"] == 1


def test_an_agent_never_sees_another_teams_conversations(client, team):
    waiting(team, 1)
    other = waiting(TeamFactory(), 2)
    assert other.id not in ids(client.get(LIST))
    assert client.get(f"/api/v1/inbox/conversations/{other.id}/thread/").status_code == 404
    assert client.get(f"/api/v1/inbox/conversations/{other.id}/").status_code == 404


def test_filters_by_inbox_channel_label_status_and_waiting_time(client, team):
    whatsapp = InboxFactory(team=team, kind="whatsapp")
    by_phone = waiting(team, 30, inbox=whatsapp)
    labelled = waiting(team, 20)
    pending = waiting(team, 5, status="pending")
    billing = Label.objects.create(name="billing")
    labelled.labels.add(billing)

    assert ids(client.get(LIST, {"inbox": whatsapp.id})) == [by_phone.id]
    assert ids(client.get(LIST, {"channel": "whatsapp"})) == [by_phone.id]
    assert ids(client.get(LIST, {"label": billing.id})) == [labelled.id]
    assert ids(client.get(LIST, {"status": "pending"})) == [pending.id]
    assert ids(client.get(LIST, {"waiting": 15})) == [by_phone.id, labelled.id]


def test_search_finds_message_text_and_customer_name_or_email(client, team):
    refund = waiting(team, 3)
    message_create(conversation=refund, sender="customer", body="I want a refund for the blender")
    named = waiting(team, 2, customer=CustomerFactory(name="Zoë Quartermaine", email="zq@example.org"))
    waiting(team, 1)

    assert ids(client.get(LIST, {"q": "refund"})) == [refund.id]
    assert ids(client.get(LIST, {"q": "quartermaine"})) == [named.id]
    assert ids(client.get(LIST, {"q": "zq@example"})) == [named.id]


@pytest.mark.parametrize("sort", ["waiting", "recent"])
def test_keyset_pages_cover_everything_once_in_order(client, team, sort):
    created = [waiting(team, minutes) for minutes in (50, 40, 30, 20, 10, 5, 1)]
    # Ties on the sort key and conversations nobody waits on must neither repeat nor vanish between pages.
    same = timezone.now() - timedelta(minutes=15)
    Conversation.objects.filter(pk__in=[c.id for c in created[1:4]]).update(waiting_since=same, last_message_at=same)
    Conversation.objects.filter(pk__in=[c.id for c in created[4:6]]).update(waiting_since=None)
    everything = ids(client.get(LIST, {"limit": 100, "sort": sort}))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "sort": sort} | ({"cursor": cursor} if cursor else {})
        body = client.get(LIST, params).json()
        seen += [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == everything
    assert sorted(seen) == sorted(c.id for c in created)


@pytest.mark.parametrize(
    "params",
    [{"view": "everything"}, {"status": "gone"}, {"channel": "fax"}, {"cursor": "not-a-cursor"}, {"limit": 0}],
)
def test_bad_list_parameters_are_explained(client, params):
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_the_list_runs_a_constant_number_of_queries(client, team, django_assert_max_num_queries):
    billing = Label.objects.create(name="billing")
    for minutes in range(30):
        conversation = waiting(team, minutes, assignee=AgentFactory())
        conversation.labels.add(billing)
    with django_assert_max_num_queries(6) as small:
        assert len(ids(client.get(LIST, {"limit": 2}))) == 2
    with django_assert_max_num_queries(6) as large:
        assert len(ids(client.get(LIST, {"limit": 30}))) == 30
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_thread_runs_a_constant_number_of_queries(client, team, me, django_assert_max_num_queries):
    short, long_ = waiting(team, 1), waiting(team, 2)
    for i in range(40):
        message_create(conversation=long_, sender="agent", author=me, body=f"reply {i}")
    with django_assert_max_num_queries(10) as small:
        assert client.get(f"/api/v1/inbox/conversations/{short.id}/thread/").status_code == 200
    with django_assert_max_num_queries(10) as large:
        body = client.get(f"/api/v1/inbox/conversations/{long_.id}/thread/").json()
    assert len(body["messages"]) == 41
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_thread_shows_private_notes_read_state_and_the_customer_panel(client, team, me):
    customer = CustomerFactory(name="Mia", email="mia@example.com", time_zone="Europe/Berlin")
    earlier = waiting(team, 100, customer=customer)
    conversation = waiting(team, 1, customer=customer)
    message_create(conversation=conversation, sender="agent", author=me, body="On it", is_private=True)
    reply, _ = message_create(conversation=conversation, sender="agent", author=me, body="Hi Mia!")
    Conversation.objects.filter(pk=conversation.pk).update(customer_read_seq=reply.seq)

    body = client.get(f"/api/v1/inbox/conversations/{conversation.id}/thread/").json()

    by_body = {m["body"]: m for m in body["messages"]}
    assert by_body["On it"]["is_private"] is True
    assert by_body["Hi Mia!"]["delivery_status"] == "read"
    panel = body["panel"]
    assert panel["customer"]["email"] == "mia@example.com" and panel["customer"]["time_zone"] == "Europe/Berlin"
    assert panel["customer"]["profile_url"] == f"/customers/{customer.id}/"
    assert [c["id"] for c in panel["other_conversations"]] == [earlier.id]


def test_the_row_endpoint_says_whether_a_conversation_still_belongs_in_a_view(client, team, me):
    conversation = waiting(team, 1)
    url = f"/api/v1/inbox/conversations/{conversation.id}/"
    assert client.get(url, {"view": "unassigned"}).json()["in_view"] is True
    Conversation.objects.filter(pk=conversation.pk).update(assignee=me)
    assert client.get(url, {"view": "unassigned"}).json()["in_view"] is False
    assert client.get(url, {"view": "mine"}).json()["in_view"] is True


def test_canned_responses_are_offered_by_shortcut_to_the_right_teams(client, team, me):
    CannedResponse.objects.create(shortcut="hello", title="Greeting", body="Hello! How can I help?")
    CannedResponse.objects.create(shortcut="refund", title="Refunds", body="Refunds take 5 days.", team=team)
    CannedResponse.objects.create(shortcut="secret", title="Sales only", body="…", team=TeamFactory())

    shortcuts = [c["shortcut"] for c in client.get("/api/v1/canned-responses/").json()]
    assert shortcuts == ["hello", "refund"]
    assert [c["shortcut"] for c in client.get("/api/v1/canned-responses/", {"q": "ref"}).json()] == ["refund"]

    created = client.post(
        "/api/v1/canned-responses/", {"shortcut": "bye", "title": "Bye", "body": "Have a nice day"}, format="json"
    )
    assert created.status_code == 201
    again = client.post("/api/v1/canned-responses/", {"shortcut": "bye", "title": "x", "body": "y"}, format="json")
    assert again.status_code == 400


def test_the_inbox_page_needs_a_login(client, me):
    from django.test import Client

    anonymous = Client()
    assert anonymous.get("/inbox/").status_code == 302
    browser = Client()
    browser.force_login(me)
    page = browser.get("/inbox/")
    assert page.status_code == 200
    assert b'id="inbox-bootstrap"' in page.content
