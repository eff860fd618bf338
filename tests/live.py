"""Real processes for integration and browser tests: daphne servers and a Celery worker on the test
database and the same Redis, exactly as in production."""

import os
import time

from django.conf import settings
from django.db import connection

from helpdesk.devservers import CeleryProcess, DaphneProcess


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
