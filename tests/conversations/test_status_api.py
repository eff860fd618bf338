"""The status API: every team's state for agents; one inbox's for its chat page, without login."""

import pytest

from helpdesk.models import Agent
from tests.factories import AgentFactory, InboxFactory, TeamFactory
from tests.hours.policies import always_open, never_open

pytestmark = pytest.mark.django_db


def test_an_agent_sees_every_teams_status(api_client):
    agent = AgentFactory(availability=Agent.Availability.ONLINE)
    open_team = TeamFactory(name="Alpha", business_hours_policy=always_open())
    open_team.members.add(agent)
    TeamFactory(name="Beta", business_hours_policy=never_open())
    api_client.force_authenticate(agent)

    response = api_client.get("/api/v1/status/")
    assert response.status_code == 200
    states = {team["name"]: team["availability"]["state"] for team in response.json()["teams"]}
    assert states == {"Alpha": "open", "Beta": "closed"}


def test_the_team_status_needs_a_login(api_client):
    response = api_client.get("/api/v1/status/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_the_chat_page_status_is_public_and_worded_for_the_visitor(api_client):
    inbox = InboxFactory(team=TeamFactory(business_hours_policy=never_open()))
    response = api_client.get(f"/api/v1/status/inboxes/{inbox.slug}/?tz=Europe/Berlin&lang=de")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "closed"
    assert body["next_open_text"] == "so bald wie möglich"


def test_an_unknown_time_zone_is_a_clear_error(api_client):
    inbox = InboxFactory()
    response = api_client.get(f"/api/v1/status/inboxes/{inbox.slug}/?tz=Mars/Olympus")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"tz": ["Unknown time zone."]}


def test_an_inactive_or_unknown_inbox_is_not_found(api_client):
    inbox = InboxFactory(is_active=False)
    assert api_client.get(f"/api/v1/status/inboxes/{inbox.slug}/").status_code == 404
    assert api_client.get("/api/v1/status/inboxes/nope/").status_code == 404


def test_the_team_status_costs_a_fixed_number_of_queries(api_client, django_assert_max_num_queries):
    from tests.hours.policies import berlin_office

    agent = AgentFactory()
    for n in range(5):
        TeamFactory(business_hours_policy=berlin_office(name=f"office {n}")).members.add(agent)
    api_client.force_authenticate(agent)
    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/status/?lang=de&tz=Europe/Berlin")
    assert len(response.json()["teams"]) == 5
