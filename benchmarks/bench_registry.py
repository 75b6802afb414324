"""Registry import: `safetynet registry import` of a synthetic registry (validation included).

Target: the scale-1.0 registry (≈ 4.29 M monitored people plus household members) in ≤ 3 min
into SQLite and into PostgreSQL (COPY), peak RSS ≤ 2 GiB. The scale is
``SAFETYNET_BENCH_REGISTRY_SCALE`` (default 1.0; 0.01 with ``--quick``); the input comes from
``safetynet synth`` when it is installed, else from benchmarks/_registry_gen.py (numpy).
PostgreSQL runs when ``SAFETYNET_BENCH_DATABASE_URL`` (or ``SAFETYNET_TEST_DATABASE_URL``)
names a server.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

from benchmarks._harness import Result, run_child
from benchmarks._registry_gen import make_registry, township_rows

__all__ = ["run"]


def _prepare(url: str, divisions: Path | None) -> None:
    """Migrate and load the division table (not timed)."""
    from safetynet.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    if divisions is not None:
        from safetynet.db import unit_of_work
        from safetynet.regions import service as regions

        with unit_of_work(engine) as session:
            regions.load_builtin(session=session)
            regions.import_divisions(session=session, paths=[divisions])
    else:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO region (code, name, level, parent_code, source) "
                     "VALUES (:a, :b, :c, :d, 'bench')"),
                [dict(a=a, b=b, c=c, d=d) for a, b, c, d in township_rows()],
            )  # fmt: skip
    engine.dispose()


def _input(tmp: Path, scale: float) -> tuple[Path, int, Path | None, str, Path | None]:
    """The registry file: from `safetynet synth` when available, else the numpy generator."""
    import json
    import subprocess

    exe = str(Path(sys.executable).with_name("safetynet"))
    out = tmp / "synth"
    proc = subprocess.run(
        [exe, "synth", "--scale", str(scale), "--seed", "1", "--months", "1",
         "--out", str(out), "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode == 0:
        info = json.loads(proc.stdout)
        reg, moves = info["registry"], info.get("moves")
        return (
            out / reg["file"], int(reg["rows"]), out / "divisions.csv", "safetynet synth",
            out / moves["file"] if moves else None,
        )  # fmt: skip
    path, rows = make_registry(tmp / "registry.parquet", scale)
    return path, rows, None, "benchmarks/_registry_gen.py", None


def _measure(
    label: str, url: str, path: Path, rows: int, divisions: Path | None, moves: Path | None
) -> list[Result]:
    _prepare(url, divisions)
    env = {**os.environ, "SAFETYNET_DATABASE_URL": url}
    exe = str(Path(sys.executable).with_name("safetynet"))
    wall, rss, _ = run_child([exe, "registry", "import", str(path), "--json"], env=env)
    results = [
        Result(f"registry import → {label}: {rows:,} rows", wall, "s", "≤ 180 s at scale 1.0",
               ok=wall <= 180 if rows > 5_000_000 else None),
        Result(f"registry import → {label}: peak RSS", rss, "MiB", "≤ 2048 MiB",
               ok=rss <= 2048),
    ]  # fmt: skip
    if moves is not None:  # synth's dated moves, into the registry just loaded (no target)
        wall, rss, _ = run_child([exe, "registry", "import", str(moves), "--json"], env=env)
        results.append(Result(f"registry import → {label}: then the dated moves file", wall, "s",
                              "—", notes=f"peak RSS {rss:.0f} MiB"))  # fmt: skip
    return results


def run(quick: bool) -> list[Result]:
    scale = float(os.environ.get("SAFETYNET_BENCH_REGISTRY_SCALE", "0.01" if quick else "1.0"))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        path, rows, divisions, made_by, moves = _input(Path(tmp), scale)
        results += _measure("SQLite", f"sqlite:///{tmp}/bench.db", path, rows, divisions, moves)
        base = os.environ.get("SAFETYNET_BENCH_DATABASE_URL") or os.environ.get(
            "SAFETYNET_TEST_DATABASE_URL"
        )
        if base:
            from safetynet.db import scratch_schema

            with scratch_schema(base, "bench") as url:
                results += _measure("PostgreSQL", url, path, rows, divisions, moves)
    for r in results:
        if "RSS" not in r.name and "moves" not in r.name:
            r.notes = f"scale {scale}, {path.suffix[1:]} input from {made_by}"
    return results
