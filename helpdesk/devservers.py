"""Real daphne and Celery processes on this machine, for the integration tests and the benchmarks.

Each caller supplies the environment (which database, which Redis) and where logs go; this module only
starts a process, waits until it answers, and stops it.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A child process whose output goes to ``<log_dir>/<name>-<our pid>.log``."""

    def __init__(self, args: list[str], *, env: dict, name: str, log_dir: Path):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}-{os.getpid()}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            if ready():
                return
            time.sleep(0.2)
        output = self.output()
        # The caller never gets the object to stop: stop it here, or it outlives the run.
        self.stop()
        raise RuntimeError(f"{what} in {timeout:.0f} s:\n{output}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class DaphneProcess(ServerProcess):
    """One daphne serving the whole ASGI application, ready once /healthz answers 200 (or, for a test of
    a broken dependency, ``require_healthy=False``: once it answers at all)."""

    def __init__(
        self,
        *,
        env: dict,
        log_dir: Path,
        timeout: float,
        require_healthy: bool = True,
        application: str = "helpdesk.asgi:application",
    ):
        self.require_healthy = require_healthy
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), application]
        super().__init__(args, env=env, name=f"daphne-{self.port}", log_dir=log_dir)
        self.wait_until(self._healthy, timeout=timeout, what=f"daphne on {self.port} not healthy")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=3) as response:  # noqa: S310 - our own http URL
                return response.status == 200
        except urllib.error.HTTPError:
            return not self.require_healthy
        except OSError:
            return False


class CeleryProcess(ServerProcess):
    """One Celery worker, ready once it says so in its log."""

    def __init__(self, *, env: dict, log_dir: Path, concurrency: int, node_prefix: str, timeout: float):
        args = [
            sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-l", "info", "-c", str(concurrency),
            "--without-mingle", "--without-gossip", "-n", f"{node_prefix}-{os.getpid()}-{free_port()}@%h",
        ]  # fmt: skip
        super().__init__(args, env=env, name=f"celery-{free_port()}", log_dir=log_dir)
        self.wait_until(lambda: " ready." in self.output(), timeout=timeout, what="celery worker not ready")


class CeleryBeatProcess(ServerProcess):
    """Celery beat, ready once it says it is starting; its schedule file goes in ``log_dir``."""

    def __init__(self, *, env: dict, log_dir: Path, timeout: float):
        port = free_port()
        schedule = Path(log_dir) / f"celerybeat-{os.getpid()}-{port}"
        args = [sys.executable, "-m", "celery", "-A", "helpdesk", "beat", "-l", "info", "-s", str(schedule)]
        super().__init__(args, env=env, name=f"beat-{port}", log_dir=log_dir)
        self.wait_until(lambda: "beat: Starting" in self.output(), timeout=timeout, what="celery beat not starting")
