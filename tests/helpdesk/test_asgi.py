"""The websocket stack refuses what it must: no session, a foreign origin."""

import pytest
from channels.testing import WebsocketCommunicator

from helpdesk.asgi import application
from tests.factories import AgentFactory
from tests.live import session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)


def headers(origin: str, cookie: str | None = None) -> list:
    items = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie:
        items.append((b"cookie", cookie.encode()))
    return items


@pytest.mark.asyncio
async def test_an_agent_socket_without_a_session_is_closed_unauthenticated():
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers("http://localhost"))
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_socket_from_a_foreign_origin_is_refused():
    from asgiref.sync import sync_to_async

    cookie = await sync_to_async(lambda: session_cookie_for(AgentFactory()))()
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers("https://evil.example", cookie))
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_a_logged_in_agent_is_greeted_with_the_event_cursor():
    from asgiref.sync import sync_to_async

    agent = await sync_to_async(AgentFactory)()
    cookie = await sync_to_async(session_cookie_for)(agent)
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers("http://localhost", cookie))
    connected, _ = await communicator.connect()
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello" and hello["agent_id"] == agent.id
    await communicator.send_json_to({"type": "nonsense"})
    error = await communicator.receive_json_from(timeout=5)
    assert error == {"type": "error", "code": "unknown_type", "message": "Unknown frame type 'nonsense'."}
    await communicator.disconnect()
