"""/healthz answers 200 when database, channel layer and broker answer, and 503 naming what failed."""

import pytest

from helpdesk import health

pytestmark = pytest.mark.django_db


def test_it_is_healthy_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_it_answers_503_and_names_a_dead_broker(client, monkeypatch, tmp_path):
    from helpdesk.celery import app

    monkeypatch.setattr(app.conf, "broker_url", f"redis+socket://{tmp_path}/nothing.sock")
    monkeypatch.setattr(app, "_pool", None, raising=False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_it_answers_503_and_names_a_failing_database(client, monkeypatch):
    def broken():
        raise RuntimeError("database unreachable")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert "unreachable" in response.json()["checks"]["database"]["error"]
