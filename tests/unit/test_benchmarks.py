"""``make bench`` keeps working: every benchmark runs at its quick sizes and writes its section.

The figures of a quick run are not judged: it shares the machine with the rest of the suite,
and performance is measured by `make bench`, not by timed tests. What is checked is that each
benchmark runs to the end (their own consistency checks included, e.g. the pandas peer's
warnings equal the engine's) and that the report has one section per benchmark, written to a
file of our choosing so that docs/PERFORMANCE.md is left alone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_benchmark_runs_at_quick_sizes(tmp_path: Path) -> None:
    out = tmp_path / "PERFORMANCE.md"
    before = (ROOT / "docs" / "PERFORMANCE.md").read_bytes()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))
    text = out.read_text(encoding="utf-8")
    found = re.findall(r"^<!-- bench:(\w+) -->$", text, flags=re.M)
    assert found == names
    for name in names:
        section = text.split(f"<!-- bench:{name} -->")[1].split(f"<!-- /bench:{name} -->")[0]
        assert "(quick sizes)" in section and "| figure | value | target | met |" in section
    assert (ROOT / "docs" / "PERFORMANCE.md").read_bytes() == before
