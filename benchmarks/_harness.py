"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Result", "best_of", "best_of_cpu", "peak_rss_mib", "run_child"]


@dataclass
class Result:
    """One measured figure and the target it answers to."""

    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The fastest wall time (seconds) of ``repeat`` calls, and the last return value."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_of_cpu(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """(best wall seconds, best CPU seconds of this process, last return) over ``repeat`` calls.

    CPU time is what a single-core target is judged on: it does not grow when other jobs share
    the machine, as wall time does.
    """
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - t0)
    return wall, cpu, out


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The command runs as a grandchild of this tiny launcher rather than as a child of the (possibly
# large) benchmark process: a child forked from a big parent starts with the parent's resident
# pages, and the kernel keeps that high-water mark across exec, so RUSAGE_CHILDREN of a direct
# child can report the parent's size instead of the command's own peak.
_LAUNCH = """\
import resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.run(sys.argv[2:]).returncode
wall = time.perf_counter() - t
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(code if code >= 0 else 128 - code)
"""


def run_child(
    args: list[str], **kwargs: Any
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run a command; return (wall seconds, peak RSS of the command in MiB, the process).

    ``kwargs`` go to :func:`subprocess.run` (``env``, ``cwd``…); stdout and stderr are captured.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage"
        launched = subprocess.run(
            [sys.executable, "-c", _LAUNCH, str(report), *args],
            capture_output=True,
            text=True,
            check=False,
            **kwargs,
        )
        wall, kib = report.read_text().split() if report.exists() else ("nan", "0")
    proc = subprocess.CompletedProcess(args, launched.returncode, launched.stdout, launched.stderr)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"{args[:3]} failed with {proc.returncode}")
    return float(wall), int(kib) / 1024, proc
