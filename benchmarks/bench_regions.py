"""Division import: the four official Gansu files (1,506 rows) into a fresh database, the
idempotent re-import, and a large village-level table (12-digit codes, ~100 per township) to
show the bulk path scales. SQLite always; PostgreSQL too when SAFETYNET_TEST_DATABASE_URL is set.
No formal target; a national village table (~620 k rows) should load in well under a minute."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._harness import Result
from safetynet.db import make_engine, scratch_schema, unit_of_work, upgrade
from safetynet.regions import service

DIVISIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "divisions"
FILES = ["gansu-provinces.csv", "gansu-cities.csv", "gansu-areas.csv", "gansu-streets.csv"]


def _village_file(folder: Path, per_township: int) -> Path:
    towns = (DIVISIONS / "gansu-streets.csv").read_text(encoding="utf-8").splitlines()[1:]
    path = folder / "villages.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("code,name,streetCode\n")
        for line in towns:
            town = line.split(",", 1)[0]
            for i in range(1, per_township + 1):
                fh.write(f"{town}{i:03d},第{i}村委会,{town}\n")
    return path


def _timed(fn):  # type: ignore[no-untyped-def]
    import time

    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _import(engine: Any, paths: list[Path]) -> Any:
    """One division import in its own unit of work (the commit is part of the timing)."""
    with unit_of_work(engine) as session:
        return service.import_divisions(session=session, paths=paths)


def run(quick: bool) -> list[Result]:
    if not (DIVISIONS / "gansu-streets.csv").exists():
        return [Result("division import", 0, "s", notes=f"skipped: {DIVISIONS} not found")]
    per_township = 10 if quick else 100
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        urls = [("sqlite", f"sqlite:///{folder / 'bench.db'}")]
        base = os.environ.get("SAFETYNET_TEST_DATABASE_URL")
        if base:
            urls.append(("postgresql", stack.enter_context(scratch_schema(base, "bench"))))
        villages = _village_file(folder, per_township)
        official = [DIVISIONS / f for f in FILES]
        for label, url in urls:
            engine = make_engine(url)
            upgrade(engine)
            secs, rep = _timed(lambda e=engine: _import(e, official))
            results.append(
                Result(f"{label}: official files, fresh", secs, "s", notes=f"{rep.new:,} rows")
            )
            secs, rep = _timed(lambda e=engine: _import(e, official))
            results.append(
                Result(f"{label}: official files, re-import", secs, "s", notes=f"{rep.new} new")
            )
            secs, rep = _timed(lambda e=engine: _import(e, [villages]))
            results.append(
                Result(
                    f"{label}: village table",
                    rep.new / secs,
                    "rows/s",
                    notes=f"{rep.new:,} rows in {secs:.2f} s",
                )
            )
            engine.dispose()
    return results
