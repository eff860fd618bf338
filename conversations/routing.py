"""Websocket routes of the conversation features: the agents' socket and the chat page's socket."""

from django.urls import path

from conversations.chat.consumers import ChatConsumer
from conversations.inbox.consumers import AgentConsumer

# Django's path() stubs know only views; Channels routes ASGI applications with it.
websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/chat/<slug:inbox_slug>/", ChatConsumer.as_asgi()),  # type: ignore[arg-type]
]
