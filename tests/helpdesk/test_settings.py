"""Configuration comes from the environment; production values pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, env_extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
            "HTTPS": "1",
            "ALLOWED_HOSTS": "help.example.com",
            "VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_complains_about_embedded_development_values(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env_extra={"DEBUG": "1", "VAR_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr + result.stdout


def test_without_a_secret_key_one_is_generated_and_kept_outside_the_repository(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "helpdesk.settings"})
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
