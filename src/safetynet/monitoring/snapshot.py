"""Freeze the scored population of a month (and the evidence already used) to Parquet.

The snapshot lists every member of every household with at least one person monitored during
the month: household, township, resident ID, person, primary category (None for a member who
is not monitored) and the household identity (highest-priority primary category of its
members). Files are named by their content hash, so a run can always be reproduced.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine

from safetynet.monitoring.engine import USED_SCHEMA

__all__ = ["SNAPSHOT_SCHEMA", "Snapshot", "freeze", "month_bounds", "write_hashed"]

SNAPSHOT_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("township_code", pa.string()),
        ("resident_id", pa.string()),
        ("person_id", pa.int64()),
        ("category", pa.string()),
        ("identity", pa.string()),
    ]
)
_RAW = pa.schema(
    [
        ("household_id", pa.int64()),
        ("township_code", pa.string()),
        ("resident_id", pa.string()),
        ("person_id", pa.int64()),
        ("rank", pa.int32()),
    ]
)


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``.

    >>> month_bounds("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    y, m = (int(x) for x in month.split("-"))
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


@dataclass(frozen=True)
class Snapshot:
    month: str
    path: Path
    sha256: str
    people: int
    households: int
    used_path: Path
    used_sha256: str
    used_rows: int


def _query(priority: tuple[str, ...], start: date, end: date) -> str:
    # Values are our own (validated month, category codes from the parameters): inlined so the
    # same text also runs inside PostgreSQL COPY, which takes no bind parameters.
    ranks = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(priority))
    cats = ", ".join(f"'{c}'" for c in priority)
    return f"""
WITH act AS MATERIALIZED (
  SELECT m.person_id, MIN(CASE m.category {ranks} END) AS rnk
  FROM membership m
  WHERE m.category IN ({cats}) AND m.valid_from <= '{end.isoformat()}'
    AND (m.valid_to IS NULL OR m.valid_to >= '{start.isoformat()}')
  GROUP BY m.person_id
), hh AS MATERIALIZED (
  SELECT DISTINCT p.household_id FROM person p JOIN act a ON a.person_id = p.id
)
SELECT p.household_id, h.township_code, p.resident_id, p.id, a.rnk
FROM hh
JOIN person p ON p.household_id = hh.household_id
JOIN household h ON h.id = hh.household_id
LEFT JOIN act a ON a.person_id = p.id
"""


def _fetch(engine: Engine, query: str, schema: pa.Schema) -> pa.Table:
    """Run ``query`` and return its rows as Arrow (PostgreSQL: COPY; others: fetchmany)."""
    raw: Any = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            buf = io.BytesIO()
            with raw.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as cp:
                for chunk in cp:
                    buf.write(chunk)
            if buf.tell() == 0:
                return schema.empty_table()
            buf.seek(0)
            from pyarrow import csv as pacsv

            return pacsv.read_csv(
                buf,
                read_options=pacsv.ReadOptions(column_names=schema.names),
                convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True),
            )
        cur = raw.cursor()
        cur.execute(query)
        batches = []
        while rows := cur.fetchmany(200_000):
            cols = list(zip(*rows, strict=True))
            batches.append(
                pa.record_batch(
                    [pa.array(c, t) for c, t in zip(cols, schema.types, strict=True)],
                    schema=schema,
                )
            )
        cur.close()
        return pa.Table.from_batches(batches, schema=schema)
    finally:
        raw.close()


def write_hashed(table: pa.Table, folder: Path, stem: str) -> tuple[Path, str]:
    """Write ``table`` to ``folder/<stem>-<hash16>.parquet``; return (path, sha256 of the file)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{stem}-{os.getpid()}.tmp"
    pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)
    digest = hashlib.sha256()
    with tmp.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
    sha = digest.hexdigest()
    final = folder / f"{stem}-{sha[:16]}.parquet"
    if final.exists():
        tmp.unlink()
    else:
        os.replace(tmp, final)
    return final, sha


def _with_identity(raw: pa.Table, priority: tuple[str, ...]) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("raw", raw)
        con.register("prio", pa.table({"rnk": list(range(len(priority))), "cat": list(priority)}))
        cur: Any = con.sql(
            """
            WITH ident AS (SELECT household_id, MIN(rank) AS hr FROM raw GROUP BY household_id)
            SELECT r.household_id, r.township_code, r.resident_id, r.person_id,
                   pc.cat AS category, ph.cat AS identity
            FROM raw r JOIN ident i USING (household_id)
            LEFT JOIN prio pc ON pc.rnk = r.rank
            JOIN prio ph ON ph.rnk = i.hr
            ORDER BY r.household_id, r.person_id
            """
        )
        table: pa.Table = cur.to_arrow_table()
        return table.cast(SNAPSHOT_SCHEMA)
    finally:
        con.close()


def _used(engine: Engine, month: str) -> pa.Table:
    query = (
        "SELECT household_id, source, record_id FROM warning_evidence "
        f"WHERE month < '{month}' ORDER BY household_id, source, record_id"
    )
    return _fetch(engine, query, USED_SCHEMA)


def freeze(engine: Engine, *, month: str, priority: tuple[str, ...], lake: Path) -> Snapshot:
    """Read the scored population of ``month`` from the registry and write it to the lake."""
    start, end = month_bounds(month)
    raw = _fetch(engine, _query(priority, start, end), _RAW)
    table = _with_identity(raw, priority)
    folder = lake / "snapshots" / f"month={month}"
    path, sha = write_hashed(table, folder, "people")
    used = _used(engine, month)
    used_path, used_sha = write_hashed(used, folder, "used")
    households = len(pc.unique(table["household_id"])) if table.num_rows else 0
    return Snapshot(
        month=month,
        path=path,
        sha256=sha,
        people=table.num_rows,
        households=households,
        used_path=used_path,
        used_sha256=used_sha,
        used_rows=used.num_rows,
    )
