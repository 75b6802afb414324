"""Bulk reads and writes between a DuckDB staging database and SQLite / PostgreSQL.

SQLite: ``executemany`` over tuples streamed from DuckDB; PostgreSQL: ``COPY`` in CSV form.
Everything runs on one SQLAlchemy connection inside the caller's transaction.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy.engine import Connection

__all__ = ["Bulk"]

BATCH = 100_000


class Bulk:
    """Move rows between DuckDB (``duck``) and the registry database (``conn``)."""

    def __init__(self, conn: Connection, duck: Any, tmp: Path) -> None:
        self.conn = conn
        self.duck = duck
        self.tmp = tmp
        self.pg = conn.dialect.name == "postgresql"
        self.raw: Any = conn.connection.driver_connection

    # -- plain statements -------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.raw.cursor()
        cur.execute(sql.replace("?", "%s") if self.pg else sql, tuple(params))
        return cur

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    # -- database → DuckDB -----------------------------------------------------------------
    def load(self, name: str, sql: str, columns: dict[str, str]) -> None:
        """Create DuckDB table ``name`` from a query returning ints and text only."""
        cols = ", ".join(f"{c} {t}" for c, t in columns.items())
        self.duck.execute(f"CREATE OR REPLACE TABLE {name} ({cols})")
        if self.pg:
            path = self.tmp / f"{name}.csv"
            cur = self.raw.cursor()
            with path.open("wb") as fh, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as cp:
                for chunk in cp:
                    fh.write(chunk)
            if path.stat().st_size:
                spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
                self.duck.execute(
                    f"INSERT INTO {name} SELECT * FROM read_csv('{path}', header=false, "
                    f"columns={spec}, quote='\"', escape='\"', nullstr='')"
                )
            path.unlink()
            return
        cur = self.raw.cursor()
        cur.execute(sql)
        names = list(columns)
        while fetched := cur.fetchmany(BATCH):
            values = list(zip(*fetched, strict=True))
            batch = pa.table({n: pa.array(c) for n, c in zip(names, values, strict=True)})
            self.duck.register("_load_batch", batch)
            self.duck.execute(f"INSERT INTO {name} SELECT * FROM _load_batch")
            self.duck.unregister("_load_batch")

    # -- DuckDB → database -----------------------------------------------------------------
    def _batches(self, query: str) -> Iterator[pa.RecordBatch]:
        yield from self.duck.sql(query).to_arrow_reader(BATCH)

    def insert(self, table: str, columns: Sequence[str], query: str) -> int:
        """Insert the rows of a DuckDB query (columns in order) into ``table``."""
        cols = ", ".join(columns)
        total = 0
        if self.pg:
            cur = self.raw.cursor()
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
                for batch in self._batches(query):
                    buf = io.BytesIO()
                    pacsv.write_csv(
                        batch, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed")
                    )
                    cp.write(buf.getvalue())
                    total += batch.num_rows
            return total
        marks = ", ".join("?" for _ in columns)
        cur = self.raw.cursor()
        for batch in self._batches(query):
            cur.executemany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                zip(*(c.to_pylist() for c in batch.columns), strict=True),
            )
            total += batch.num_rows
        return total

    def update(self, table: str, columns: Sequence[str], query: str) -> int:
        """Update ``table`` by ``id`` from a DuckDB query returning ``id`` then ``columns``."""
        if self.pg:
            tmp = f"_upd_{table}"
            self.execute(
                f"CREATE TEMP TABLE {tmp} AS SELECT id, {', '.join(columns)} FROM {table} "
                "WITH NO DATA"
            )
            n = self.insert(tmp, ["id", *columns], query)
            sets = ", ".join(f"{c} = u.{c}" for c in columns)
            self.execute(f"UPDATE {table} t SET {sets} FROM {tmp} u WHERE t.id = u.id")
            self.execute(f"DROP TABLE {tmp}")
            return n
        sets = ", ".join(f"{c} = ?" for c in columns)
        total = 0
        cur = self.raw.cursor()
        for batch in self._batches(query):
            cols = [c.to_pylist() for c in batch.columns]
            cur.executemany(
                f"UPDATE {table} SET {sets} WHERE id = ?", zip(*cols[1:], cols[0], strict=True)
            )
            total += batch.num_rows
        return total

    def suspend_indexes(self, tables: Sequence[str]) -> list[str]:
        """Drop secondary indexes (and, on PostgreSQL, foreign keys) of ``tables`` for a bulk
        load; return the statements that rebuild them (run them before commit)."""
        rebuild: list[str] = []
        if self.pg:
            names = list(tables)
            fks = self.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c WHERE c.contype = 'f' "
                "AND c.conrelid::regclass::text = ANY(?)",
                (names,),
            ).fetchall()
            for table, name, _definition in fks:
                self.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            idx = self.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = ANY(?) AND indexname NOT LIKE 'pk\\_%%'",
                (names,),
            ).fetchall()
            for name, definition in idx:
                self.execute(f'DROP INDEX "{name}"')
                rebuild.append(definition)
            self.execute("SET LOCAL maintenance_work_mem = '1GB'")
            rebuild += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in fks]
            return rebuild
        marks = ", ".join("?" for _ in tables)
        idx = self.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            tuple(tables),
        ).fetchall()
        for name, definition in idx:
            self.execute(f'DROP INDEX "{name}"')
            rebuild.append(definition)
        return rebuild

    def fix_sequences(self, tables: Sequence[str]) -> None:
        """After inserts with explicit ids, move PostgreSQL sequences past the highest id."""
        if not self.pg:
            return
        for table in tables:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
