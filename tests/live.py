"""Real processes for integration and browser tests: daphne servers and a Celery worker on the test
database and the same Redis, exactly as in production."""

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from helpdesk.devservers import CeleryBeatProcess, CeleryProcess, DaphneProcess, ServerProcess, free_port


def test_database_url() -> str:
    """The URL of the database the test run uses (pytest-django's test database), for child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "VAR_DIR": str(settings.VAR_DIR),
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class LiveServer(DaphneProcess):
    """One daphne process serving the whole ASGI application on the test database."""

    def __init__(self, require_healthy: bool = True, **env_extra):
        env = child_env(ALLOWED_HOSTS="127.0.0.1,localhost", **env_extra)
        super().__init__(env=env, log_dir=settings.VAR_DIR, timeout=30, require_healthy=require_healthy)


class CeleryWorker(CeleryProcess):
    def __init__(self, concurrency: int = 1, **env_extra):
        super().__init__(
            env=child_env(**env_extra),
            log_dir=settings.VAR_DIR,
            concurrency=concurrency,
            node_prefix="test",
            timeout=60,
        )


class CeleryBeat(CeleryBeatProcess):
    def __init__(self, **env_extra):
        super().__init__(env=child_env(**env_extra), log_dir=settings.VAR_DIR, timeout=30)


def agent_message_post(
    server,
    token_key: str,
    conversation_id: int,
    body: str,
    *,
    client_id: str | None = None,
    private: bool = False,
    timeout: float = 20,
) -> tuple[int, dict]:
    """An agent's message through the live server's REST API, as the inbox sends it: (status, answer)."""
    data: dict = {"body": body, "private": private}
    if client_id is not None:
        data["client_id"] = client_id
    request = urllib.request.Request(
        f"{server.url}/api/v1/conversations/{conversation_id}/messages/",
        data=json.dumps(data).encode(),
        headers={"Authorization": f"Token {token_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own http URL
        return response.status, json.loads(response.read())


def session_cookie_for(agent) -> str:
    """A real session for ``agent`` in the test database, as a Cookie header value."""
    from django.test import Client

    client = Client()
    client.force_login(agent)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")


class RedisServer(ServerProcess):
    """A private redis-server on its own port, for tests that kill or restart it (never the shared one)."""

    def __init__(self, directory, port: int | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        args = [
            shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        super().__init__(args, env=dict(os.environ), name=f"redis-{self.port}", log_dir=self.directory)
        self.wait_until(self._answers, timeout=10, what=f"redis-server on {self.port} not answering")

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def restart(self, down_for: float = 1.0) -> "RedisServer":
        """Stop it, wait, and start a fresh, empty one on the same port (what a crash and restart looks like)."""
        self.stop()
        time.sleep(down_for)
        return RedisServer(self.directory, port=self.port)
