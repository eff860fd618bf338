"""Sampling profiles of a running daphne with py-spy (attached by pid, nothing changed in the server),
summarised as where the CPU time goes: by package and by function."""

import collections
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


class Profiler:
    """``py-spy record`` in raw (collapsed stacks) format until stopped."""

    def __init__(self, pid: int, out: Path, rate: int = 200):
        self.out = out
        self.proc = None
        binary = py_spy()
        if binary is None:
            self.error = "py-spy is not installed (pip install -r requirements/test.txt)"
            return
        self.error = None
        self.proc = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--rate",
                str(rate),
                "--output",
                str(out),
                "--nonblocking",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> dict:
        if self.proc is None:
            return {"error": self.error}
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.out.exists():
            return {"error": f"py-spy wrote no profile: {err.decode(errors='replace').strip()[-300:]}"}
        return summarize(self.out)


def _package(frame: str) -> str:
    """'name (psycopg/cursor.py:12)' -> the package or project app the frame belongs to (py-spy prints
    paths relative to their sys.path entry, so the first component is the top-level package)."""
    path = frame[frame.rfind("(") + 1 :].split(":")[0]
    top = path.split("/")[0].removesuffix(".py") if path else "?"
    if top in ("conversations", "helpdesk", "customers", "hours", "bench"):
        return f"{top} (ours)"
    return top


def summarize(path: Path, top: int = 12) -> dict:
    self_by_package: collections.Counter = collections.Counter()
    self_by_function: collections.Counter = collections.Counter()
    inclusive_by_package: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        leaf = frames[-1]
        self_by_package[_package(leaf)] += n
        self_by_function[leaf.strip()] += n
        for package in {_package(f) for f in frames}:
            inclusive_by_package[package] += n

    def pct(counter):
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "file": str(path),
        "self_by_package_pct": pct(self_by_package),
        "inclusive_by_package_pct": pct(inclusive_by_package),
        "self_by_function_pct": pct(self_by_function),
    }
