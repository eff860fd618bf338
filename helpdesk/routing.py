"""Websocket routes; every consumer lives in its app's consumers.py."""

from conversations.routing import websocket_urlpatterns as conversation_routes

websocket_urlpatterns = [*conversation_routes]
