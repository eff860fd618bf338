"""The bench's environment: refuse anything but PostgreSQL and a real Redis, prepare the database, start
daphne and Celery as child processes, and describe the machine the figures came from."""

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from helpdesk.devservers import CeleryProcess, DaphneProcess

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


class Refused(Exception):
    """The bench cannot give meaningful figures here; the message says why in one sentence."""


def configure_environment(*, var_dir: Path) -> None:
    """Fill the environment every process of the run shares, then check it is a production-like stack."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    os.environ["VAR_DIR"] = str(var_dir)
    # Redis pub/sub ignores database numbers, so a private prefix keeps other users of this Redis out of
    # the measurement (and the measurement out of them).
    os.environ.setdefault("CHANNEL_PREFIX", f"bench{os.getpid()}")
    os.environ.setdefault("CACHE_PREFIX", f"bench{os.getpid()}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "0"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    var_dir.mkdir(parents=True, exist_ok=True)
    check_database_url(os.environ["DATABASE_URL"])
    check_redis_url(os.environ["REDIS_URL"])


def check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise Refused(
            f"The benchmarks need PostgreSQL, not {scheme or 'the embedded SQLite'}: set DATABASE_URL=postgres://…"
        )


def check_redis_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise Refused(
            "The benchmarks need a real Redis server over TCP, not the embedded one: set REDIS_URL=redis://host:port/db."
        )
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except (redis.RedisError, OSError) as exc:
        raise Refused(f"Redis at {parts.hostname}:{parts.port or 6379} does not answer ({exc}).") from None


def _admin_dsn(url: str) -> tuple[str, str]:
    import dj_database_url

    cfg = dj_database_url.parse(url)
    dsn = (
        f"host={cfg.get('HOST') or '127.0.0.1'} port={cfg.get('PORT') or 5432} user={cfg.get('USER') or 'postgres'}"
        + (f" password={cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
    )
    return dsn, cfg["NAME"]


def prepare_database(url: str, *, fresh: bool) -> str:
    """Create the bench database (from scratch when its name says it is a bench database); returns a note."""
    import psycopg

    dsn, name = _admin_dsn(url)
    try:
        with psycopg.connect(dsn + " dbname=postgres", autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            quoted = '"' + name.replace('"', '""') + '"'
            if exists and fresh and "bench" in name:
                conn.execute(f"DROP DATABASE {quoted} WITH (FORCE)")
                exists = None
            if not exists:
                conn.execute(f"CREATE DATABASE {quoted}")
    except psycopg.OperationalError as exc:
        raise Refused(f"PostgreSQL does not answer for {name!r} ({str(exc).strip()}).") from None
    with psycopg.connect(dsn + f" dbname={name}", autocommit=True) as conn:
        # Search indexes may need these; migrations create them too, the schema-from-models path does not.
        for extension in ("pg_trgm", "btree_gin"):
            try:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
            except psycopg.Error:
                pass
    return name


def create_schema() -> str:
    """Migrate; if the models are ahead of the migrations, build the tables from the models instead."""
    from django.conf import settings
    from django.core.management import call_command

    try:
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)
        pending = False
    except SystemExit:
        pending = True
    if not pending:
        call_command("migrate", verbosity=0, interactive=False)
        return "migrations"

    class DisableMigrations:
        def __contains__(self, item):
            return True

        def __getitem__(self, item):
            return None

    settings.MIGRATION_MODULES = DisableMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    return "tables from models (some model changes have no migration yet)"


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def child_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({"PYTHONUNBUFFERED": "1", "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Daphne(DaphneProcess):
    """One daphne process serving the whole application, with the bench's bare consumers routed in."""

    def __init__(self, **env_extra):
        super().__init__(
            env=child_env(**env_extra), log_dir=Path(os.environ["VAR_DIR"]), timeout=60,
            application="bench.asgi:application",
        )  # fmt: skip

    def rss_kb(self) -> int:
        return rss_kb(self.pid)


class CeleryWorker(CeleryProcess):
    def __init__(self, concurrency: int = 2, **env_extra):
        super().__init__(
            env=child_env(**env_extra), log_dir=Path(os.environ["VAR_DIR"]), concurrency=concurrency,
            node_prefix="bench", timeout=90,
        )  # fmt: skip


def rss_kb(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def machine_info() -> dict:
    """What the figures came from: they mean little without it."""
    info: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu_model"] = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), None
        )
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        info["memory_gb"] = round(total_kb / 1024 / 1024, 1)
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except (OSError, StopIteration, ValueError):
        pass
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    except Exception as exc:
        info["postgresql"] = f"unknown ({exc})"
    try:
        import redis

        info["redis"] = redis.Redis.from_url(os.environ["REDIS_URL"]).info("server")["redis_version"]
    except Exception as exc:
        info["redis"] = f"unknown ({exc})"
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except OSError:
        pass
    return info
