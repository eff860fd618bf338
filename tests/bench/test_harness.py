"""The benchmark harness at a tiny size, so it cannot rot: every scenario runs end to end against real
PostgreSQL, Redis, daphne and Celery, and its correctness checks hold. No timings are asserted."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.services import need, need_postgres

ROOT = Path(__file__).resolve().parent.parent.parent


def run_bench(*args: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def bench_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "VAR_DIR")}
    env.update(extra)
    return env


def test_it_refuses_to_run_on_sqlite(tmp_path):
    result = run_bench("--quick", env=bench_env(DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3"), timeout=60)
    assert result.returncode == 2
    assert "need PostgreSQL" in result.stderr


def test_it_refuses_to_run_on_the_embedded_redis(tmp_path):
    result = run_bench(
        "--quick",
        env=bench_env(DATABASE_URL="postgres://postgres@127.0.0.1:5432/x_bench", REDIS_URL=f"unix://{tmp_path}/r.sock"),
        timeout=60,
    )
    assert result.returncode == 2
    assert "real Redis server" in result.stderr


def test_it_rejects_an_unknown_scenario():
    result = run_bench("--only", "nonsense", env=bench_env(), timeout=60)
    assert result.returncode != 0
    assert "unknown scenario" in result.stderr


@pytest.mark.integration
@pytest.mark.django_db
def test_every_scenario_runs_at_a_tiny_size_and_its_checks_hold(tmp_path):
    need_postgres()
    need(urlsplit(settings.REDIS_URL).scheme == "redis", "needs a Redis server over TCP: set REDIS_URL=redis://…")
    db = connection.settings_dict
    # A database of the bench's own, beside the test database: the bench drops and recreates it.
    parts = urlsplit(
        f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    )
    database_url = urlunsplit(parts._replace(path=f"/{db['NAME']}_bench_smoke"))
    output = tmp_path / "results.json"
    result = run_bench(
        "--quick", "--customers", "4", "--agents", "2", "--rates", "5,10", "--step-seconds", "1",
        "--scale-sizes", "60,200", "--messages-per-conversation", "3", "--scale-repeats", "3",
        "--burst-customers", "6", "--idle-sockets", "10", "--fanout-agents", "4", "--fanout-events", "3",
        "--output", str(output),
        env=bench_env(DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads(output.read_text())
    scenarios = results["scenarios"]
    assert set(scenarios) == {"chat", "scale", "burst", "memory", "fanout"}
    assert results["machine"]["cores"] and results["machine"]["postgresql"]

    chat = scenarios["chat"]
    assert chat["app"]["database_check"]["acked_but_missing"] == 0
    assert chat["app"]["database_check"]["acked"] > 0
    assert chat["app"]["database_check"]["duplicates"] == 0
    assert chat["app"]["database_check"]["conversations_with_gaps"] == 0
    for side in ("app", "baseline"):
        assert chat[side]["steps"], side
        assert all(step["lost_acks"] == 0 for step in chat[side]["steps"])

    for name, op in scenarios["scale"]["operations"].items():
        counts = {size: m["queries"] for size, m in op["by_size"].items()}
        assert len(set(counts.values())) == 1, f"{name} runs a different number of queries per size: {counts}"
        assert op["explain"], name

    if not scenarios["burst"].get("skipped"):
        assert scenarios["burst"]["missing"] == 0
        assert scenarios["burst"]["extra"] == 0

    assert scenarios["memory"]["open_at_measurement"] == 10
    assert scenarios["fanout"]["lost"] == 0
    assert "scenario" in result.stdout and "machine:" in result.stdout
