from django.urls import path

from conversations import sockets as consumers
from conversations.chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/agent/", consumers.AgentConsumer.as_asgi()),
    path("ws/chat/<slug:inbox_slug>/", ChatConsumer.as_asgi()),
]
