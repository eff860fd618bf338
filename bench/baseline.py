"""The bare stack the chat path is compared with: Channels consumers on the same daphne and Redis that only
group-send (no database, no application logic). Routed only by ``bench.asgi``, never by the application.

They are synchronous consumers like the application's, so the comparison isolates what the application
adds (the message log, events, hooks) rather than sync against async.
"""

from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer
from django.urls import path

WATCHERS_GROUP = "bench.watchers"


class BaselineCustomerConsumer(JsonWebsocketConsumer):
    """Takes ``{"type": "message", "client_id", "body"}``, fans it out to the watchers, then acks."""

    def connect(self):
        self.accept()

    def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "message":
            self.send_json({"type": "error", "code": "bad_frame", "message": "Expected a message frame."})
            return
        frame = {"type": "message", "client_id": content.get("client_id"), "body": content.get("body")}
        async_to_sync(self.channel_layer.group_send)(WATCHERS_GROUP, {"type": "bench.frame", "frame": frame})
        self.send_json({"type": "ack", "client_id": content.get("client_id")})


class BaselineWatcherConsumer(JsonWebsocketConsumer):
    """Stands in for an agent socket: joins one group and forwards what it hears."""

    def connect(self):
        async_to_sync(self.channel_layer.group_add)(WATCHERS_GROUP, self.channel_name)
        self.accept()

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)(WATCHERS_GROUP, self.channel_name)

    def bench_frame(self, message):
        self.send_json(message["frame"])


# Django's path() stubs know only views; Channels routes ASGI applications with it.
websocket_urlpatterns = [
    path("ws/bench/customer/", BaselineCustomerConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/bench/watcher/", BaselineWatcherConsumer.as_asgi()),  # type: ignore[arg-type]
]
