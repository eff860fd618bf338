"""Daphne and the worker outlive a PostgreSQL restart: both reconnect by themselves and go on working.

The cluster is private to this test (its own data directory and port), so restarting it never touches a
shared server. The test process keeps its own database; only the children use the private cluster.
"""

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpdesk.devservers import ROOT, free_port
from tests.fakes import FakeServer
from tests.live import CeleryWorker, LiveServer, agent_message_post, child_env, wait_for
from tests.services import need

pytestmark = pytest.mark.integration

FIXTURES = """
import json
from rest_framework.authtoken.models import Token
from tests.factories import AgentFactory, ConversationFactory, InboxFactory, TeamFactory
team = TeamFactory()
agent = AgentFactory()
team.members.add(agent)
inbox = InboxFactory(team=team, kind="api", settings={"webhook_url": WEBHOOK_URL})
conversation = ConversationFactory(inbox=inbox)
print(json.dumps({"conversation": conversation.id, "token": Token.objects.create(user=agent).key}))
"""


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class PostgresCluster:
    """A throwaway cluster run as the postgres OS user (initdb refuses root), trust auth, 127.0.0.1 only."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        # Not pytest's tmp_path: its parents are private to root, and postgres must reach the directory.
        self.directory = Path(tempfile.mkdtemp(prefix="pgr-"))
        shutil.chown(self.directory, user="postgres", group="postgres")
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/helpdesk"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "helpdesk")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin_dir / tool), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", *args)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def log(self) -> str:
        path = self.directory / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop(mode="immediate")
            except subprocess.CalledProcessError:
                pass  # already down
        shutil.rmtree(self.directory, ignore_errors=True)


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _post_reply(server, fixtures, body: str, client_id: str) -> int:
    status, _ = agent_message_post(
        server, fixtures["token"], fixtures["conversation"], body, client_id=client_id, timeout=10
    )
    return status


def _healthz(server) -> int:
    try:
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_daphne_and_the_worker_reconnect_after_a_postgres_restart():
    bin_dir = _postgres_bin()
    need(bin_dir is not None, "needs PostgreSQL's server binaries (apt-get install postgresql): no pg_ctl found")
    need(shutil.which("runuser") is not None, "needs runuser to run initdb as the postgres user")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        need(False, "needs a postgres OS user to run the private cluster")
    need(os.geteuid() == 0, "needs root to run the private cluster as the postgres user")

    sink = FakeServer()
    cluster = PostgresCluster(bin_dir)
    processes = []
    try:
        env = child_env(DATABASE_URL=cluster.url)
        _manage(env, "migrate", "--no-input", "-v", "0")
        fixtures = json.loads(
            _manage(env, "shell", "-c", FIXTURES.replace("WEBHOOK_URL", repr(sink.url + "/hook"))).splitlines()[-1]
        )

        server = LiveServer(DATABASE_URL=cluster.url)
        processes.append(server)
        worker = CeleryWorker(DATABASE_URL=cluster.url)
        processes.append(worker)

        assert _post_reply(server, fixtures, "before the restart", "pgr-1") == 201
        wait_for(lambda: len(sink.requests) == 1, timeout=30, message="the worker to deliver before the restart")

        cluster.stop()
        time.sleep(3)
        cluster.start()

        # The first request after the restart may meet the dead connection once; then it must succeed.
        # A resend with the same client_id is harmless (it returns the stored message).
        outcomes: list[object] = []

        def second_reply_accepted() -> bool:
            try:
                outcomes.append(_post_reply(server, fixtures, "after the restart", "pgr-2"))
            except (urllib.error.HTTPError, OSError) as error:
                outcomes.append(error)
                return False
            return True

        wait_for(second_reply_accepted, timeout=10, interval=0.5, message=f"a reply after the restart: {outcomes}")
        lost_answer = any(not isinstance(o, urllib.error.HTTPError) for o in outcomes[:-1])
        assert outcomes[-1] == 201 or (outcomes[-1] == 200 and lost_answer), outcomes
        wait_for(lambda: _healthz(server) == 200, timeout=10, interval=0.5, message="/healthz to be 200 again")
        assert server.proc.poll() is None, server.output()

        wait_for(lambda: len(sink.requests) >= 2, timeout=30, message="the worker to deliver after the restart")
        assert sink.requests[1]["json"]["message"]["body"] == "after the restart"
        time.sleep(1)  # a duplicate delivery would show up here
        assert len(sink.requests) == 2
        assert worker.proc.poll() is None, worker.output()
    finally:
        for process in reversed(processes):
            process.stop()
        cluster.destroy()
        sink.close()
