"""The one read path for bulk registry data: SQL query results into Arrow tables.

Every reader of millions of registry rows — the monitoring snapshot, the premium population,
``stats``, what-ifs and reports — goes through :func:`read`, which runs a list of queries in
one read transaction and returns one Arrow table per query, cast to the schema the caller
gives:

- **SQLite files**: the ADBC SQLite driver decodes rows in C straight into Arrow, in a child
  process (:mod:`safetynet.registry._sqlite_reader`: two SQLite libraries must not open one
  database file in one process). Without the driver, and for memory databases, the engine's
  own DBAPI cursor in large ``fetchmany`` batches.
- **PostgreSQL**: ``COPY (query) TO STDOUT`` in CSV, parsed by Arrow's multi-threaded CSV
  reader, in a ``REPEATABLE READ`` transaction. Measured against the binary COPY decoded by
  the ADBC PostgreSQL driver in docs/PERFORMANCE.md (``bench_bulkread``).

The queries are plain SQL text (no bind parameters: ``COPY`` takes none and the SQLite read runs
in another process); build them with :mod:`safetynet.registry.queries`, which inlines dates
from ``date`` objects only. Nothing here writes.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

__all__ = ["Query", "read", "read_one", "sqlite_file"]

#: A query to read: SQL text and the Arrow schema of its result (columns in order).
Query = tuple[str, pa.Schema]


def sqlite_file(engine: Engine) -> str | None:
    """The file of a file-backed SQLite engine (None for memory databases and other dialects)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    return db if db and db != ":memory:" and not db.startswith("file:") else None


def read(bind: Engine | Connection | Session, queries: list[Query]) -> list[pa.Table]:
    """Run ``queries`` in one read transaction; their rows as Arrow tables of the given schemas.

    ``bind``: an engine (a read transaction of its own), or the caller's connection or session.
    On PostgreSQL the caller's transaction is used (``COPY`` on its connection, which sees
    what the transaction sees); a SQLite file is read by a child process, which sees committed
    data only.
    """
    if isinstance(bind, Session):
        bind = bind.connection()
    engine = bind if isinstance(bind, Engine) else bind.engine
    path = sqlite_file(engine)
    if path is not None and importlib.util.find_spec("adbc_driver_sqlite") is not None:
        return _read_adbc_sqlite(path, queries)
    if isinstance(bind, Connection) and engine.dialect.name == "postgresql":
        raw: Any = bind.connection.dbapi_connection
        return [_copy(raw, query, schema) for query, schema in queries]
    return _read_dbapi(engine, queries)


def read_one(bind: Engine | Connection | Session, query: str, schema: pa.Schema) -> pa.Table:
    """:func:`read` of a single query."""
    return read(bind, [(query, schema)])[0]


def _read_adbc_sqlite(path: str, queries: list[Query]) -> list[pa.Table]:
    """:func:`read` through the ADBC SQLite driver, in a child process."""
    from safetynet.scratch import scratch_dir

    with scratch_dir("bulkread") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "safetynet.registry._sqlite_reader", path, str(tmp)],
            input=json.dumps([q for q, _ in queries]),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"读取登记库失败 / reading the registry failed: {proc.stderr[-2000:]}"
            )
        out = []
        for i, (_, schema) in enumerate(queries):
            # memory-mapped: the tables point into the files (the mapping outlives their removal)
            with pa.memory_map(str(tmp / f"{i}.arrow"), "rb") as source:
                table = pa.ipc.open_file(source).read_all()
            out.append(_conform(table, schema))
        return out


def _read_dbapi(engine: Engine, queries: list[Query]) -> list[pa.Table]:
    """:func:`read` through the engine's own DBAPI driver (COPY on PostgreSQL)."""
    raw: Any = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cur:  # one consistent view for the reads
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return [_copy(raw, query, schema) for query, schema in queries]
        if engine.dialect.name == "sqlite" and not raw.in_transaction:
            raw.execute("BEGIN")  # one consistent view for the reads
        return [_cursor(raw, query, schema) for query, schema in queries]
    finally:
        raw.rollback()
        raw.close()


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    if table.num_rows == 0:
        return schema.empty_table()
    return table.rename_columns(schema.names).cast(schema)


def _copy(raw: Any, query: str, schema: pa.Schema) -> pa.Table:
    from pyarrow import csv as pacsv

    buf = io.BytesIO()
    with raw.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as cp:
        for chunk in cp:
            buf.write(chunk)
    if buf.tell() == 0:
        return schema.empty_table()
    buf.seek(0)
    # booleans come as t/f from COPY
    return pacsv.read_csv(
        buf,
        read_options=pacsv.ReadOptions(column_names=schema.names, block_size=64 << 20),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            strings_can_be_null=True,
            true_values=["t", "true", "1"],
            false_values=["f", "false", "0"],
        ),
    )


def _cursor(raw: Any, query: str, schema: pa.Schema) -> pa.Table:
    cur = raw.cursor()
    try:
        cur.execute(query)
        batches = []
        while rows := cur.fetchmany(500_000):
            cols = list(zip(*rows, strict=True))
            arrays = [pa.array(list(c), t) for c, t in zip(cols, schema.types, strict=True)]
            batches.append(pa.record_batch(arrays, schema=schema))
        return pa.Table.from_batches(batches, schema=schema)
    finally:
        cur.close()
