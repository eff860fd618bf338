"""Start one process of the system (web, worker or beat) once its Redis answers.

Used by the Procfiles so that, on the embedded defaults, daphne and Celery wait for the embedded Redis
that honcho starts beside them instead of failing on their first connection.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


def wait_for_redis(url: str, timeout: float = 30.0) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return
        except (redis.RedisError, OSError) as exc:
            if time.monotonic() > deadline:
                sys.exit(f"Redis at {url} did not answer within {timeout:.0f} s: {exc}")
            time.sleep(0.2)


def main() -> None:
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    import django
    from django.conf import settings

    django.setup()
    wait_for_redis(settings.REDIS_URL)
    python = sys.executable
    if role == "web":
        # honcho rewrites PORT for every process it starts (base + 100 x index); HELPDESK_PORT is ours.
        port = os.environ.get("HELPDESK_PORT") or os.environ.get("PORT", "8000")
        host = os.environ.get("HOST", "127.0.0.1")
        args = [python, "-m", "daphne", "-b", host, "-p", port, "--proxy-headers", "helpdesk.asgi:application"]
    elif role == "worker":
        concurrency = os.environ.get("WORKER_CONCURRENCY", "2")
        args = [python, "-m", "celery", "-A", "helpdesk", "worker", "-l", "info", "-c", concurrency]
    elif role == "beat":
        args = [python, "-m", "celery", "-A", "helpdesk", "beat", "-l", "info"]
    else:
        sys.exit("usage: python -m helpdesk.serve web|worker|beat")
    os.execv(python, args)


if __name__ == "__main__":
    main()
