"""The import-linter contracts in pyproject.toml hold for the code, and code that breaks one fails it."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["helpdesk", "hours", "customers", "conversations"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    contract["id"]: contract["name"]
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}

# (module to write or append to, the import it gains, the contract it breaks, the import the report names)
BREACHES = {
    "core-imports-feature": (
        "conversations/services/breach.py",
        "from conversations.inbox.services import assignment",
        "layers",
        "conversations.services.breach -> conversations.inbox.services.assignment",
    ),
    "feature-imports-feature": (
        "conversations/chat/breach.py",
        "from conversations.connectors import delivery",
        "layers",
        "conversations.chat.breach -> conversations.connectors.delivery",
    ),
    "write-path-imports-page": (
        "conversations/messaging.py",
        "from conversations.chat import views",
        "write-path",
        "conversations.messaging -> conversations.chat.views",
    ),
    "hours-imports-helpdesk": (
        "hours/breach.py",
        "from helpdesk.models import Team",
        "hours",
        "hours.breach -> helpdesk.models",
    ),
    "customers-leaf-imports-conversations": (
        "customers/breach.py",
        "from conversations.models import Conversation",
        "customers-leaf",
        "customers.breach -> conversations.models",
    ),
}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        # A wide console, so no contract name is wrapped over two lines.
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(cwd), "COLUMNS": "500"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def broken_reports(stdout: str) -> dict[str, str]:
    """Each broken contract's report, by contract id."""
    _, _, section = stdout.partition("Broken contracts")
    starts = sorted((section.index(f"\n{name}\n"), cid) for cid, name in CONTRACTS.items() if f"\n{name}\n" in section)
    ends = [start for start, _ in starts[1:]] + [len(section)]
    return {cid: section[start:end] for (start, cid), end in zip(starts, ends, strict=True)}


@pytest.fixture(scope="module")
def breached(tmp_path_factory) -> subprocess.CompletedProcess:
    """lint-imports over a copy of the packages with every breach above written into it."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for module, line, _, _ in BREACHES.values():
        path = root / module
        path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")
    return lint_imports(root)


def test_the_code_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


@pytest.mark.parametrize("breach", BREACHES.values(), ids=BREACHES.keys())
def test_an_import_that_breaks_a_rule_fails_the_contract_and_is_named(breached, breach):
    _, _, contract, named = breach
    assert breached.returncode == 1, breached.stdout + breached.stderr
    reports = broken_reports(breached.stdout)
    assert contract in reports, breached.stdout
    assert named in reports[contract], breached.stdout
