"""Fixtures for the chat page: a web-chat inbox and a browser-like client holding a visitor cookie."""

import json

import pytest
from django.test import Client

from tests.factories import AgentFactory, InboxFactory


class ChatClient:
    """A visitor's browser: it loads the page (cookie + CSRF token) and calls the JSON endpoints."""

    def __init__(self, inbox, **extra):
        self.inbox = inbox
        self.client = Client(enforce_csrf_checks=True, **extra)
        self.base = f"/chat/{inbox.slug}/"

    def open(self, query: str = ""):
        return self.client.get(self.base + query)

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    def post(self, path: str, data: dict, **extra):
        return self.client.post(
            self.base + path, json.dumps(data), content_type="application/json", HTTP_X_CSRFTOKEN=self.csrf, **extra
        )

    def get(self, path: str, **params):
        return self.client.get(self.base + path, params)

    def send(self, body: str, client_id: str | None = None, **extra):
        return self.post("api/messages", {"body": body, "client_id": client_id, **extra})

    @property
    def cookie(self) -> str:
        return self.client.cookies[f"hdchat_{self.inbox.pk}"].value


@pytest.fixture
def inbox(db):
    """A web-chat inbox whose team has someone online, so it reads as open unless a test says otherwise."""
    inbox = InboxFactory(kind="webchat")
    inbox.team.members.add(AgentFactory())
    return inbox


@pytest.fixture
def chat(inbox):
    visitor = ChatClient(inbox)
    assert visitor.open().status_code == 200
    return visitor


@pytest.fixture
def new_chat(inbox):
    def make(**extra):
        visitor = ChatClient(inbox, **extra)
        assert visitor.open().status_code == 200
        return visitor

    return make
