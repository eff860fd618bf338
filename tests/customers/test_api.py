"""The profile API: agents only; list and search, detail, PATCH with validation, notes; OpenAPI."""

import pytest

from tests.factories import ContactPointFactory, CustomAttributeDefinitionFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_anonymous_callers(api_client):
    customer = CustomerFactory()
    assert api_client.get("/api/v1/customers/").status_code in (401, 403)
    response = api_client.patch(f"/api/v1/customers/{customer.id}/", {"name": "x"}, format="json")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_it_searches_every_email_and_pages_by_keyset(api_client, agent, django_assert_max_num_queries):
    api_client.force_authenticate(agent)
    target = CustomerFactory(name="Mia Müller", email="mia@example.com")
    ContactPointFactory(customer=target, value="mia.work@corp.example")
    CustomerFactory(name="Someone Else")
    response = api_client.get("/api/v1/customers/", {"q": "corp.example"})
    assert [c["id"] for c in response.json()["customers"]] == [target.id]

    for _ in range(4):
        CustomerFactory()
    with django_assert_max_num_queries(4):
        first = api_client.get("/api/v1/customers/", {"limit": 3}).json()
    assert len(first["customers"]) == 3
    second = api_client.get("/api/v1/customers/", {"limit": 3, "before_id": first["next_before_id"]}).json()
    assert {c["id"] for c in first["customers"]}.isdisjoint({c["id"] for c in second["customers"]})


def test_a_bad_limit_gets_a_clear_error(api_client, agent):
    api_client.force_authenticate(agent)
    response = api_client.get("/api/v1/customers/", {"limit": "lots"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["limit"] == ["limit must be a whole number."]


def test_the_detail_shows_the_whole_profile_in_few_queries(api_client, agent, django_assert_max_num_queries):
    api_client.force_authenticate(agent)
    customer = CustomerFactory(company="Acme", labels=["beta"])
    ContactPointFactory(customer=customer, value="second@example.com")
    with django_assert_max_num_queries(8):
        data = api_client.get(f"/api/v1/customers/{customer.id}/").json()
    assert data["company"] == "Acme"
    assert data["labels"] == ["beta"]
    assert "second@example.com" in data["emails"]
    assert data["enrichment"] is None
    assert api_client.get("/api/v1/customers/999999/").json()["error"]["code"] == "not_found"


def test_patch_validates_custom_attributes_and_answers_the_standard_error(api_client, agent):
    api_client.force_authenticate(agent)
    CustomAttributeDefinitionFactory(key="seats", label="Seats", type="number")
    customer = CustomerFactory()
    response = api_client.patch(
        f"/api/v1/customers/{customer.id}/", {"custom_attributes": {"seats": "ten"}}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "Seats must be a number" in error["fields"]["custom_attributes.seats"][0]

    response = api_client.patch(
        f"/api/v1/customers/{customer.id}/",
        {"custom_attributes": {"seats": 10}, "company": "Acme", "emails": ["a@example.com", "b@example.com"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["custom_attributes"] == {"seats": 10}
    assert response.json()["emails"] == ["a@example.com", "b@example.com"]


def test_an_agent_adds_an_internal_note(api_client, agent):
    api_client.force_authenticate(agent)
    customer = CustomerFactory()
    response = api_client.post(f"/api/v1/customers/{customer.id}/notes/", {"body": "Prefers e-mail."}, format="json")
    assert response.status_code == 201
    assert response.json()["author"] == agent.name
    empty = api_client.post(f"/api/v1/customers/{customer.id}/notes/", {"body": "  "}, format="json")
    assert empty.status_code == 400
    assert empty.json()["error"]["fields"]["body"]


def test_the_schema_documents_the_customer_endpoints(api_client, agent):
    api_client.force_authenticate(agent)
    response = api_client.get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    for path in ["/api/v1/customers/", "/api/v1/customers/{customer_id}/", "/api/v1/customers/{customer_id}/history/"]:
        assert path in paths
    assert "patch" in paths["/api/v1/customers/{customer_id}/"]
