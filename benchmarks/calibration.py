"""The monitoring calibration check of docs/monitoring.md: a synthetic year, scored month by month.

``python -m benchmarks.calibration [--scale 0.1] [--seed 7] [--home DIR]`` builds the synthetic
province, imports it (registry, then its dated moves), ingests its 12 months of feeds and runs
the 12 months of monitoring with the ``safetynet`` command line (into ``--home``, default a new
temporary folder), then prints the table of the docs: warnings by level, households warned and
new warnings per month, and the university admission records ingested. Not a benchmark:
nothing is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def _cli(home: Path, *args: str, capture: bool = False) -> str:
    env = {**os.environ, "SAFETYNET_HOME": str(home)}
    env.pop("SAFETYNET_DATABASE_URL", None)
    env.pop("SAFETYNET_LAKE_DIR", None)
    cmd = [sys.executable, "-m", "safetynet.cli", *args]
    out = subprocess.run(cmd, env=env, check=True, text=True, stdout=subprocess.PIPE)
    return out.stdout if capture else ""


def build(home: Path, *, scale: float, seed: int) -> None:
    """The synthetic year in ``home``: synth, import, ingest, monitor (12 months from 2024-01)."""
    synth = home / "synth"
    _cli(home, "db", "upgrade")
    _cli(home, "synth", "--scale", str(scale), "--seed", str(seed), "--months", "12",
         "--start", "2024-01", "--out", str(synth), "--json")  # fmt: skip
    _cli(home, "regions", "import", "--builtin", "--json")
    _cli(home, "regions", "import", str(synth / "divisions.csv"), "--json")
    registry = synth / "registry.csv"
    if not registry.exists():
        registry = synth / "registry.parquet"
    _cli(home, "registry", "import", str(registry), "--json")
    for moves in (synth / "registry-moves.parquet", synth / "registry-moves.csv"):
        if moves.exists():  # dated household moves, imported after the registry (as the demo)
            _cli(home, "registry", "import", str(moves), "--json")
    for month in MONTHS:
        _cli(home, "feeds", "ingest-dir", str(synth / "feeds" / month), "--json")
    for month in MONTHS:
        _cli(home, "monitor", "run", "--month", month, "--json")


def table(home: Path) -> str:
    """The docs' table from ``monitor runs --json`` and ``feeds list --json``."""
    runs: list[dict[str, Any]] = json.loads(
        _cli(home, "monitor", "runs", "--limit", "100", "--json", capture=True)
    )
    feeds: list[dict[str, Any]] = json.loads(_cli(home, "feeds", "list", "--json", capture=True))
    university = {f["month"]: f["rows_accepted"] for f in feeds if f["source"] == "university"}
    lines = [
        "| month | blue | yellow | orange | red | households warned | new warnings | university records |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    warned = new = 0
    for r in sorted(runs, key=lambda r: (r["month"], r["id"])):
        b = r["by_level"]
        n = r["warnings_new"] + r["warnings_updated"]
        warned, new = warned + n, new + r["warnings_new"]
        cells = [b.get(k, 0) for k in ("blue", "yellow", "orange", "red")]
        cells += [n, r["warnings_new"], university.get(r["month"], 0)]
        lines.append(f"| {r['month']} | " + " | ".join(f"{c:,}" for c in cells) + " |")
    lines.append(f"\nyear: {warned:,} household-month warnings, {new:,} households first warned")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--home", type=Path, default=None, help="working folder (default: temporary)")
    args = ap.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="safetynet-calibration-"))
    home.mkdir(parents=True, exist_ok=True)
    build(home, scale=args.scale, seed=args.seed)
    print(f"scale {args.scale}, seed {args.seed}, run {date.today()} in {home}")
    print(table(home))


if __name__ == "__main__":
    main()
