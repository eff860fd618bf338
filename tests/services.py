"""What a test needs from the outside world, and what to do when it is missing.

Locally a missing service skips the test with the reason; under CI (REQUIRE_SERVICES=1) it fails, so a
green CI run means every test really ran.
"""

import os
import shutil

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def need_postgres() -> None:
    need(settings.IS_POSTGRES, "needs PostgreSQL: set DATABASE_URL=postgres://…")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def need_chromium() -> str:
    path = chromium_path()
    need(path is not None, "needs Debian's chromium (apt-get install chromium) for browser tests")
    return path
