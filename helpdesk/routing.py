"""Websocket routes; every consumer lives in its app's consumers.py."""

import os

from conversations.routing import websocket_urlpatterns as conversation_routes

websocket_urlpatterns = [*conversation_routes]

# The benchmarks' bare consumers (no authentication): only on a server the bench itself starts.
if os.environ.get("BENCH_BASELINE") == "1":
    from bench.baseline import websocket_urlpatterns as bench_routes

    websocket_urlpatterns += bench_routes
