"""Fixtures shared by the whole suite: an embedded Redis when none is configured, capture helpers, agents."""

# pytest-django reads the settings before this file is imported, so VAR_DIR (where the SQLite database,
# the embedded Redis socket and mail files live) is chosen by whoever starts pytest: `make test` uses
# var/test so a run never shares files with a running `make run`.
import pytest
from django.conf import settings

from helpdesk import embedded

_embedded_redis = None


def pytest_configure(config):
    global _embedded_redis
    if settings.REDIS_IS_EMBEDDED:
        _embedded_redis = embedded.start_background(settings.EMBEDDED_REDIS_SOCKET)


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API holds an event loop on the main thread for the whole browser session;
    # running the browser tests last keeps it away from the asyncio tests.
    items.sort(key=lambda item: "/e2e/" in str(item.path))


def pytest_unconfigure(config):
    if _embedded_redis is not None:
        _embedded_redis.terminate()
        _embedded_redis.wait(timeout=10)


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    # Tasks run inline unless a test starts a real worker; mail lands in memory for inspection.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from helpdesk.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def broadcasts(monkeypatch):
    """Every group_send the code makes, as (group, message) pairs, instead of sending it."""
    sent: list[tuple[str, dict]] = []
    from conversations import realtime

    monkeypatch.setattr(realtime, "_group_send", lambda group, message: sent.append((group, message)))
    return sent


@pytest.fixture
def agent(db):
    from tests.factories import AgentFactory, TeamFactory

    team = TeamFactory()
    agent = AgentFactory()
    team.members.add(agent)
    return agent


@pytest.fixture
def supervisor(db):
    from tests.factories import AgentFactory

    return AgentFactory(is_staff=True, username="supervisor")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
