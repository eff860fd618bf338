"""Start one process of the system (web, worker or beat) once its Redis answers, and restart it if it dies.

Used by the Procfiles so that, on the embedded defaults, daphne and Celery wait for the embedded Redis
that honcho starts beside them instead of failing on their first connection. honcho stops every process
when one exits; so that one crash does not take the whole helpdesk down, the process runs as a child that
is started again (after 1, 2, 4 … up to 30 s) until this supervisor is told to stop.
"""

import os
import signal
import subprocess
import sys
import time

import django
import redis
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")


def wait_for_redis(url: str, timeout: float = 30.0) -> None:
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
    sys.exit(supervise(args, name=role))


RESTART_MAX_DELAY = 30.0
# A child that ran this long was healthy: its next crash restarts it after the shortest delay again.
HEALTHY_RUN = 60.0


def supervise(args: list[str], name: str | None = None) -> int:
    """Run ``args``, starting it again whenever it exits, until SIGTERM or SIGINT; then stop it and return."""
    name = name or " ".join(args[:3])
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delay = 1.0
    while True:
        started = time.monotonic()
        child = subprocess.Popen(args)
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started > HEALTHY_RUN:
            delay = 1.0
        print(f"{name} exited with {code}; starting it again in {delay:.0f} s", file=sys.stderr, flush=True)
        deadline = time.monotonic() + delay
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
        if stopping:
            return code
        delay = min(delay * 2, RESTART_MAX_DELAY)


if __name__ == "__main__":
    main()
