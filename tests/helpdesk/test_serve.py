"""helpdesk.serve restarts a process that dies, so one crash does not make honcho stop the whole system."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.live import wait_for

CHILD = "import os, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()}\\n'); time.sleep(60)"
SUPERVISOR = "import sys; from helpdesk.serve import supervise; sys.exit(supervise(sys.argv[1:]))"


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_child_that_dies_is_started_again_and_sigterm_stops_both(tmp_path):
    pids = tmp_path / "pids"
    root = Path(__file__).resolve().parents[2]
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, sys.executable, "-c", CHILD, str(pids)],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings"},
    )
    try:
        wait_for(lambda: len(_pids(pids)) == 1, message="the first child")
        first = _pids(pids)[0]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(_pids(pids)) == 2, timeout=10, message="the child to be started again")
        second = _pids(pids)[1]
        assert second != first and _alive(second)
        assert supervisor.poll() is None

        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=10)
        wait_for(lambda: not _alive(second), timeout=5, message="the child to stop with its supervisor")
        time.sleep(1.5)
        assert len(_pids(pids)) == 2  # stopping is not a crash: nothing was started again
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
