"""The one outbound HTTP client: every answer typed, no answer an error, Retry-After read both ways."""

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from helpdesk import http
from helpdesk.devservers import free_port
from tests.fakes import FakeServer


@pytest.fixture
def server():
    fake = FakeServer(lambda request: (200, {}, {"echo": request["json"], "path": request["path"]}))
    yield fake
    fake.close()


def test_it_sends_json_relative_to_the_callers_base_url_and_parses_the_answer(server):
    client = http.Client(server.url + "/v1/", headers={"Authorization": "Bearer t"})
    response = client.post("/things", json={"a": 1}, params={"q": "x y"})
    assert response.ok and response.status == 200
    assert response.json() == {"echo": {"a": 1}, "path": "/v1/things?q=x+y"}
    [request] = server.requests
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer t"
    assert request["headers"]["User-Agent"] == http.USER_AGENT


def test_an_error_status_is_an_answer_until_the_caller_raises_for_it(server):
    server.respond = lambda request: (429, {"Retry-After": "120"}, {"error": {"code": 4}})
    response = http.request("GET", server.url + "/limited")
    assert response.status == 429 and not response.ok
    assert response.retry_after == 120.0
    with pytest.raises(http.StatusError) as caught:
        response.raise_for_status()
    assert caught.value.status == 429
    assert caught.value.retry_after == 120.0
    assert caught.value.data == {"error": {"code": 4}}


def test_retry_after_may_be_an_http_date(server):
    when = datetime.now(UTC) + timedelta(minutes=5)
    server.respond = lambda request: (503, {"Retry-After": format_datetime(when, usegmt=True)}, b"")
    wait = http.request("GET", server.url).retry_after
    assert 240 < wait <= 300


def test_a_body_that_is_not_json_is_a_typed_error(server):
    server.respond = lambda request: (200, {}, b"<html>")
    with pytest.raises(http.InvalidJSON):
        http.request("GET", server.url).json()


def test_only_http_urls_are_called():
    with pytest.raises(http.InvalidURL):
        http.request("GET", "file:///etc/passwd")


def test_a_refused_connection_is_unreachable():
    with pytest.raises(http.Unreachable) as caught:
        http.request("GET", f"http://127.0.0.1:{free_port()}/", timeout=2)
    assert not isinstance(caught.value, http.Timeout)


def test_a_server_that_never_answers_is_a_timeout():
    # The kernel completes the connection from the backlog; nobody ever reads or answers it.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with pytest.raises(http.Timeout) as caught:
            http.request("GET", f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.3)
    assert caught.value.timeout == 0.3
