"""The bench's bare consumers: what the chat path is compared with must itself work."""

import asyncio

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from bench.baseline import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_baseline_message_is_acked_and_reaches_every_watcher():
    asyncio.run(_message_is_acked_and_reaches_every_watcher())


def test_a_baseline_frame_that_is_not_a_message_gets_an_error():
    asyncio.run(_frame_that_is_not_a_message_gets_an_error())


async def _message_is_acked_and_reaches_every_watcher():
    app = URLRouter(websocket_urlpatterns)
    watchers = [WebsocketCommunicator(app, "/ws/bench/watcher/") for _ in range(2)]
    customer = WebsocketCommunicator(app, "/ws/bench/customer/")
    try:
        for communicator in [*watchers, customer]:
            connected, _ = await communicator.connect()
            assert connected
        await customer.send_json_to({"type": "message", "client_id": "c-1", "body": "hello"})
        assert await customer.receive_json_from(timeout=5) == {"type": "ack", "client_id": "c-1"}
        for watcher in watchers:
            assert await watcher.receive_json_from(timeout=5) == {
                "type": "message",
                "client_id": "c-1",
                "body": "hello",
            }
    finally:
        for communicator in [*watchers, customer]:
            await communicator.disconnect()


async def _frame_that_is_not_a_message_gets_an_error():
    customer = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/bench/customer/")
    try:
        await customer.connect()
        await customer.send_json_to({"type": "typing"})
        reply = await customer.receive_json_from(timeout=5)
        assert reply["type"] == "error" and reply["code"] == "bad_frame"
    finally:
        await customer.disconnect()
