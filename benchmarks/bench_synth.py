"""Synthetic province: `safetynet synth --scale 1.0 --months 12` (4.29 M monitored people of
24.66 M, ~7 M registry rows, 12 months of department feeds, ~6 M feed rows) run as the CLI in a
child process; wall time and peak RSS. Target: ≤ 3 minutes on 2 cores. Quick mode: scale 0.05."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from benchmarks._harness import Result, run_child

TARGET_SECONDS = 180.0


def run(quick: bool) -> list[Result]:
    scale = 0.05 if quick else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "province"
        args = [sys.executable, "-m", "safetynet.cli", "synth", "--scale", str(scale), "--seed", "7",
                "--months", "12", "--start", "2024-01", "--out", str(out), "--json"]  # fmt: skip
        wall, rss, _proc = run_child(args)
        manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    feed_rows = sum(f["rows"] for f in manifest["feeds"])
    reg = manifest["registry"]
    notes = (
        f"scale {scale}: {reg['monitored']:,} monitored, {reg['rows']:,} registry rows, "
        f"{feed_rows:,} feed rows in {len(manifest['feeds'])} files"
    )
    return [
        Result(
            f"synth scale {scale}, 12 months",
            wall,
            "s",
            "≤ 180 s at scale 1.0" if not quick else "",
            (wall <= TARGET_SECONDS) if not quick else None,
            notes,
        ),
        Result(f"synth scale {scale} peak RSS", rss, "MiB"),
    ]
