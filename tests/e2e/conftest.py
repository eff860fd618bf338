"""Browser tests: Debian's chromium driven by Playwright against a real daphne on the test database."""

import os

import pytest

from tests.live import LiveServer, session_cookie_for
from tests.services import need_chromium

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    path = need_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop on this thread for the whole session; the ORM calls the
    # tests make between page actions are ordinary blocking calls, made on purpose. Browser tests run
    # last, and tests/live.py keeps this variable from the servers they start.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(autouse=True)
def _live_server_helper():
    """pytest-django's own autouse helper expects its ``live_server``; ours is a real daphne instead."""
    yield


@pytest.fixture
def live_server(transactional_db):
    """A real daphne on the test database; Celery tasks run inline in it unless a test starts a worker."""
    server = LiveServer(CELERY_TASK_ALWAYS_EAGER="1")
    yield server
    server.stop()


@pytest.fixture
def agent_page(browser, live_server):
    """Open a logged-in browser context for an agent: ``page = agent_page(agent)``."""
    contexts = []

    def open_for(agent):
        context = browser.new_context(base_url=live_server.url)
        name, value = session_cookie_for(agent).split("=", 1)
        context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield open_for
    for context in contexts:
        context.close()


@pytest.fixture
def customer_page(browser, live_server):
    """A fresh browser context for an anonymous visitor: ``page = customer_page()``."""
    contexts = []

    def open_new():
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        return context.new_page()

    yield open_new
    for context in contexts:
        context.close()
