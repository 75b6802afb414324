"""Registry bulk reads: `safetynet.registry.bulkread` against the database's own scan.

Setup: `safetynet synth --scale S --seed 7 --months 1`, `regions import` and `registry import`
(registry and dated moves) into SQLite and, when ``SAFETYNET_BENCH_DATABASE_URL`` (or, except
with ``--quick``, ``SAFETYNET_TEST_DATABASE_URL``) names a server, into a PostgreSQL scratch schema (S =
``SAFETYNET_BENCH_BULKREAD_SCALE``, default 1.0; 0.01 with ``--quick``;
``SAFETYNET_BENCH_BULKREAD_HOME`` reuses a folder prepared by an earlier run). Figures, best of
3, for each database:
- the monitoring snapshot's registry reads (`snapshot_reads` of 2024-01: active memberships,
  persons, households, dated moves) into Arrow: target ≤ 3 × the floor;
- the floor, in a child process: the database's own scan of the same queries without moving
  the rows anywhere — SQLite (stdlib `sqlite3`) `SELECT count(c1), count(c2), … FROM (query)`;
  PostgreSQL `COPY (query) TO STDOUT` (binary) drained and discarded. DuckDB's sqlite and
  postgres scanners, the floor the issue names, cannot be used here: DuckDB 2.0.1 downloads its
  extensions at `LOAD` (no network on this machine), and the PyPI packages of the extensions
  exist only for DuckDB 1.4.4, whose pin would replace the monitoring engine's DuckDB. The floor
  used is stricter than DuckDB's scan would be: it only steps through the rows;
- the premium population (`premium_population`, the read of `calc premiums`), and
  `safetynet calc premiums --year 2024 --json` as a command (target ≤ 3 s at scale 1.0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks._harness import Result, best_of, run_child

__all__ = ["run"]

START, END = date(2024, 1, 1), date(2024, 1, 31)

_SQLITE_FLOOR = """\
import json, sqlite3, sys, time
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    con.execute("BEGIN")
    for q, _names in json.load(open(sys.argv[3])):
        cols = [d[0] for d in con.execute(f"SELECT * FROM ({q}) LIMIT 0").description]
        agg = ", ".join(f'count("{c}")' for c in cols)
        con.execute(f"SELECT {agg} FROM ({q})").fetchall()
    con.execute("ROLLBACK")
    best = min(best, time.perf_counter() - t)
print(best)
"""

_PG_FLOOR = """\
import json, sys, time
import psycopg
best = float("inf")
with psycopg.connect(sys.argv[1]) as con:
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter()
        with con.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for q, _cols in json.load(open(sys.argv[3])):
                with cur.copy(f"COPY ({q}) TO STDOUT (FORMAT binary)") as cp:
                    for _chunk in cp:
                        pass
        con.rollback()
        best = min(best, time.perf_counter() - t)
print(best)
"""


def _exe() -> str:
    return str(Path(sys.executable).with_name("safetynet"))


def _sh(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-4000:])
        raise RuntimeError(f"{args[:3]} failed")
    return proc.stdout


def _load(url: str, syn: Path) -> None:
    """Migrate, load the divisions and import the registry and its dated moves (in process: the
    import is measured by bench_registry)."""
    from safetynet.db import make_engine, unit_of_work, upgrade
    from safetynet.regions import service as regions
    from safetynet.registry.importer import import_file

    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        regions.load_builtin(session=session)
        regions.import_divisions(session=session, paths=[syn / "divisions.csv"])
    import_file(engine=engine, path=next(syn.glob("registry.*")), actor="bench")
    for moves in syn.glob("registry-moves.*"):
        import_file(engine=engine, path=moves, actor="bench")
    engine.dispose()


def _measure(label: str, url: str, home: Path, tmp: Path, quick: bool) -> list[Result]:
    import json

    from safetynet.db import make_engine, unit_of_work
    from safetynet.registry import bulkread
    from safetynet.registry.queries import premium_population, snapshot_reads

    engine = make_engine(url)
    queries = snapshot_reads(START, END, dialect=engine.dialect.name)
    spec = tmp / f"queries-{label}.json"
    spec.write_text(json.dumps([[q, s.names] for q, s in queries]))
    rows = sum(t.num_rows for t in bulkread.read(engine, queries))  # warm the cache
    read_s, _ = best_of(lambda: bulkread.read(engine, queries), 1 if quick else 3)
    if engine.dialect.name == "sqlite":
        floor_code, target = _SQLITE_FLOOR, str(engine.url.database)
    else:  # a libpq URL (the scratch schema travels in its options)
        floor_code, target = _PG_FLOOR, url.replace("postgresql+psycopg://", "postgresql://")
    floor_s = float(
        _sh(
            [sys.executable, "-c", floor_code, target, "1" if quick else "3", str(spec)],
            dict(os.environ),
        )
    )

    def population() -> Any:
        with unit_of_work(engine) as session:
            return premium_population(session=session, on=END)

    pop_s, pop = best_of(population, 1 if quick else 3)
    env = {**os.environ, "SAFETYNET_HOME": str(home), "SAFETYNET_DATABASE_URL": url}
    calc_s = min(
        run_child([_exe(), "calc", "premiums", "--year", "2024", "--on", str(END), "--json"],
                  env=env)[0]
        for _ in range(1 if quick else 2)
    )  # fmt: skip
    engine.dispose()
    big = rows > 5_000_000
    ratio = read_s / floor_s if floor_s else float("nan")
    return [
        Result(f"{label}: snapshot reads → Arrow ({rows:,} rows, 4 queries)", read_s, "s",
               "≤ 3 × floor", ok=ratio <= 3, notes=f"{label}: bulk read / floor = {ratio:.2f}"),
        Result(f"{label}: floor (database's own scan, child process)", floor_s, "s", "—"),
        Result(f"{label}: premium population ({pop.num_rows:,} people)", pop_s, "s", "—"),
        Result(f"{label}: `calc premiums --year 2024` (command)", calc_s, "s",
               "≤ 3 s at scale 1.0", ok=calc_s <= 3 if big else None),
    ]  # fmt: skip


def run(quick: bool) -> list[Result]:
    scale = float(os.environ.get("SAFETYNET_BENCH_BULKREAD_SCALE", "0.01" if quick else "1.0"))
    kept = os.environ.get("SAFETYNET_BENCH_BULKREAD_HOME")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-bulkread-") as scratch:
        root = Path(kept) if kept else Path(scratch)
        syn, home = root / "synth", root / "home"
        home.mkdir(parents=True, exist_ok=True)
        if not any(syn.glob("registry.*")):
            _sh([_exe(), "synth", "--scale", str(scale), "--seed", "7", "--months", "1",
                 "--start", "2024-01", "--out", str(syn), "--json"], dict(os.environ))  # fmt: skip
        sqlite_url = f"sqlite:///{home}/db.sqlite"
        if not (home / "db.sqlite").exists():
            t0 = time.perf_counter()
            _load(sqlite_url, syn)
            print(f"   (SQLite loaded in {time.perf_counter() - t0:.0f} s)", flush=True)
        results += _measure("SQLite", sqlite_url, home, Path(scratch), quick)
        base = os.environ.get("SAFETYNET_BENCH_DATABASE_URL") or (
            None if quick else os.environ.get("SAFETYNET_TEST_DATABASE_URL")
        )  # the suite's quick run stays on SQLite (its time is bounded)
        if base:
            from safetynet.db import scratch_schema

            with scratch_schema(base, "bench") as url:
                _load(url, syn)
                results += _measure("PostgreSQL", url, home, Path(scratch), quick)
    if results:  # said once: the report lists every result's note
        results[0].notes = "; ".join(x for x in (results[0].notes, f"scale {scale}") if x)
    return results
