"""Two real ``monitor run`` processes of one month after its inputs changed: the second waits
for the first, then is logged as a repeat (one new run, not two)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from safetynet.config import get_settings
from safetynet.monitoring.service import month_lock
from tests.unit.cli.poison import Province, cli


def test_concurrent_runs_of_one_month_are_serialised(poisoned: Province) -> None:
    settings = get_settings()
    changed = poisoned.home.parent / "hospital-corrected.csv"
    original = (poisoned.home.parent / "hospital.csv").read_text("utf-8")
    assert ",4000,1000,12000\n" in original
    changed.write_text(original.replace(",4000,1000,12000\n", ",4000,1000,13000\n"), "utf-8")
    cli("feeds", "ingest", "-s", "hospital", "-m", poisoned.month, str(changed), "--json")
    env = {**os.environ, "SAFETYNET_HOME": str(poisoned.home)}
    command = [sys.executable, "-m", "safetynet.cli", "monitor", "run", "--month", poisoned.month]
    with month_lock(settings.lake, poisoned.month):  # a run in progress, as far as they know
        procs = [
            subprocess.Popen(
                [*command, "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        with ThreadPoolExecutor(2) as pool:  # each says it waits, then blocks on the lock
            first = list(pool.map(lambda p: p.stderr.readline() if p.stderr else "", procs))
        assert all("waiting for another run of 2024-01" in line for line in first), first
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    summaries = [json.loads(out) for out, _ in outs]
    assert sorted(s["repeat"] for s in summaries) == [False, True]
    runs = cli("monitor", "runs", "--json")
    assert isinstance(runs, list)
    latest = [r for r in runs if r["month"] == poisoned.month][:2]
    assert sorted(r["repeat"] for r in latest) == [False, True]
