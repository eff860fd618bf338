"""Websocket routes of the conversation features: the agents' socket and the chat page's socket."""

from django.urls import path

from conversations.chat.consumers import ChatConsumer
from conversations.inbox.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/agent/", AgentConsumer.as_asgi()),
    path("ws/chat/<slug:inbox_slug>/", ChatConsumer.as_asgi()),
]
