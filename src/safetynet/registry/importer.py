"""``registry import``: validate a registry file and upsert it, all rules applied, in bulk.

The file is read in Arrow batches; resident IDs are checked with :func:`safetynet.ids.check_array`;
every other rule runs as set-based SQL in a private DuckDB staging database; the result is
written with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in one transaction together with
the import log and the quarantine. A failed run leaves nothing behind.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Engine

from safetynet import ids
from safetynet.hashing import file_sha256
from safetynet.inputfiles import clean_text, visible, visible_array
from safetynet.registry._checks import ERRORS
from safetynet.registry._dbio import Bulk
from safetynet.registry._reader import (
    FIELDS,
    HEADINGS,
    ImportRefused,
    RegistryFile,
    detect_encoding,
    open_registry_file,
    write_template,
    xlsx_text_rows,
)
from safetynet.registry._stages import cross_checks, parse, resolve
from safetynet.registry.schemas import ImportSummary
from safetynet.scratch import scratch_dir

#: The file-reading entry points other packages use (defined in the private reader).
__all__ = [
    "HEADINGS",
    "ImportRefused",
    "detect_encoding",
    "import_file",
    "write_template",
    "xlsx_text_rows",
]

Progress = Callable[[str], None]

#: New persons from which a load rebuilds indexes (and PostgreSQL foreign keys) afterwards
#: instead of maintaining them row by row (only when the registry grows at least twofold).
BULK_REBUILD_ROWS = 200_000
#: SQLite page cache (KiB) while indexes are rebuilt: SQLite's sorter keeps this much in memory
#: before it merges through temporary files (128 MiB before and after, for the peak RSS).
REBUILD_CACHE_KIB = 262_144


def _duck(tmp: Path) -> Any:
    import duckdb

    # In memory, but bounded: blocks beyond the memory limit are offloaded to the temporary
    # directory (measured ~30 % faster than a file-backed database, which writes every table).
    con = duckdb.connect(":memory:")
    con.execute("SET memory_limit = '700MB'")
    con.execute("SET threads = 2")
    con.execute(f"SET temp_directory = '{tmp / 'spill'}'")
    con.execute("SET preserve_insertion_order = false")
    return con


# -- 1. staging: the file plus resident-ID checks -------------------------------------------------
def _stage(rf: RegistryFile, out: Path, today: date, progress: Progress | None) -> int:
    """Write the file's rows plus resident-ID check results to a Parquet staging file."""
    import pyarrow.parquet as pq

    n = 0
    writer: Any = None
    try:
        for batch in rf.batches():
            rows = batch.num_rows
            if not rows:
                continue
            columns, ctl = _clean(batch)
            rid = ids.check_array(batch.column("resident_id"), today=today)
            heads = batch.column("head_resident_id")
            uniq = pc.unique(heads).drop_null()
            hchk = ids.check_array(uniq, today=today)
            head = pc.take(hchk.column("normalized"), pc.index_in(heads, uniq))
            table = pa.table(
                {"row_number": pa.array(range(n + 1, n + rows + 1), type=pa.int64())}
                | columns
                | {
                    "ctl": ctl,
                    "rid": rid.column("normalized"),
                    "rid_err": rid.column("error"),
                    "birth_date": rid.column("birth_date"),
                    "sex": rid.column("sex"),
                    "head": head,
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(
                    out, table.schema, compression="snappy", use_dictionary=False,
                    write_statistics=False,
                )  # fmt: skip
            writer.write_table(table)
            n += rows
            if progress:
                progress(f"已读取 / read {n:,} rows")
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ImportRefused(
            f"文件第 {n + 1:,} 行之后无法读取 / cannot read the file after data row {n:,}: "
            f"{visible(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))}"
        ) from None
    finally:
        if writer is not None:
            writer.close()
    return n


def _clean(batch: pa.RecordBatch) -> tuple[dict[str, pa.Array], pa.Array]:
    """The batch's columns with line breaks made one space, and per row the first field that
    holds another control character (null if none); such values are kept visible (``\\xNN``)
    so that no NUL reaches DuckDB or the database. Vectorised: a clean column costs one numpy
    pass over its bytes."""
    n = batch.num_rows
    columns: dict[str, pa.Array] = {}
    first = np.full(n, -1, dtype=np.int64)
    for i, f in enumerate(FIELDS):
        col, bad = clean_text(batch.column(f))
        if bad.any():
            first = np.where((first < 0) & bad, i, first)
            col = visible_array(col)
        columns[f] = col
    if (first < 0).all():
        return columns, pa.nulls(n, pa.string())
    names = pa.array(FIELDS, pa.string())
    return columns, pc.take(names, pa.array(first, mask=first < 0))


_DB_STATE = {
    "dbh": (
        "SELECT id, head_resident_id, township_code, village_code, {urban}, address "
        "FROM household",
        {"id": "BIGINT", "head": "VARCHAR", "township_code": "VARCHAR",
         "village_code": "VARCHAR", "urban": "INTEGER", "address": "VARCHAR"},
    ),
    "dbp": (
        "SELECT p.id, p.resident_id, p.household_id, h.head_resident_id, p.name, p.relation "
        "FROM person p JOIN household h ON h.id = p.household_id",
        {"id": "BIGINT", "rid": "VARCHAR", "household_id": "BIGINT", "head": "VARCHAR",
         "name": "VARCHAR", "relation": "VARCHAR"},
    ),
    "dbm": (
        "SELECT id, person_id, category, {valid_from}, {valid_to}, source, dibao_class, "
        "{orphan}, disability_type, disability_grade, {relapsed}, medical_group FROM membership",
        {"id": "BIGINT", "person_id": "BIGINT", "category": "VARCHAR", "valid_from": "DATE",
         "valid_to": "DATE", "source": "VARCHAR", "dibao_class": "VARCHAR",
         "orphan_i": "INTEGER", "disability_type": "VARCHAR", "disability_grade": "SMALLINT",
         "relapsed_i": "INTEGER", "medical_group": "VARCHAR"},
    ),
    "dbmv": (
        "SELECT person_id, {last_move} FROM household_move GROUP BY person_id",
        {"person_id": "BIGINT", "last_move": "DATE"},
    ),
}  # fmt: skip


def _load_state(bulk: Bulk) -> None:
    if bulk.pg:
        fmt = {"urban": "urban::int", "orphan": "orphan::int", "relapsed": "relapsed::int",
               "valid_from": "valid_from::text", "valid_to": "valid_to::text",
               "last_move": "max(moved_on)::text"}  # fmt: skip
    else:
        fmt = {k: k for k in ("urban", "orphan", "relapsed", "valid_from", "valid_to")}
        fmt["last_move"] = "max(moved_on)"
    for name, (sql, columns) in _DB_STATE.items():
        bulk.load(name, sql.format(**fmt), columns)
    bulk.duck.execute(
        "CREATE TABLE dbm2 AS SELECT * EXCLUDE (orphan_i, relapsed_i), orphan_i::BOOLEAN AS "
        "orphan, relapsed_i::BOOLEAN AS relapsed FROM dbm"
    )
    bulk.duck.execute("DROP TABLE dbm")
    bulk.duck.execute("ALTER TABLE dbm2 RENAME TO dbm")


def _write(bulk: Bulk, import_id: int) -> dict[str, int]:
    duck = bulk.duck
    d = "strftime({}, '%Y-%m-%d')"
    out = {}
    new, old = duck.execute(
        "SELECT count(*) FILTER (WHERE old_id IS NULL), (SELECT count(*) FROM dbp) FROM pp"
    ).fetchall()[0]
    mcols = ["valid_to", "source", "dibao_class", "orphan", "disability_type",
             "disability_grade", "relapsed", "medical_group"]  # fmt: skip
    msel = (
        f"{d.format('valid_to')} AS valid_to, source, dibao_class, orphan::INT AS orphan, "
        "disability_type, disability_grade, relapsed::INT AS relapsed, medical_group"
    )
    inserts: dict[str, tuple[list[str], str]] = {
        "household": (
            ["id", "head_resident_id", "township_code", "village_code", "urban", "address"],
            "SELECT id, head AS head_resident_id, township AS township_code, "
            "village AS village_code, urban::INT AS urban, address FROM hh "
            "WHERE old_id IS NULL ORDER BY id",
        ),
        "person": (
            ["id", "resident_id", "name", "sex", "birth_date", "household_id", "relation"],
            f"SELECT id, rid AS resident_id, name, sex, {d.format('birth_date')} AS birth_date, "
            "hid AS household_id, relation FROM pp WHERE old_id IS NULL ORDER BY id",
        ),
        "household_move": (
            ["person_id", "from_household_id", "to_household_id", "moved_on"],
            "SELECT id AS person_id, CASE WHEN old_hid <> hid THEN old_hid END "
            f"AS from_household_id, hid AS to_household_id, {d.format('moved_on')} AS moved_on "
            "FROM pp WHERE (old_id IS NOT NULL AND old_hid <> hid) "
            "OR (old_id IS NULL AND moved_on IS NOT NULL)",
        ),
        "membership": (
            ["id", "person_id", "category", "valid_from", *mcols],
            f"SELECT id, person_id, category, {d.format('valid_from')} AS valid_from, {msel} "
            "FROM mm WHERE old_id IS NULL ORDER BY id",
        ),
    }
    bulk.stage(inserts)
    rebuild: list[str] = []
    if new >= max(BULK_REBUILD_ROWS, old):
        rebuild = bulk.suspend_indexes(["household", "person", "household_move", "membership"])
    out["households_added"] = bulk.insert("household", *inserts["household"])
    out["households_updated"] = bulk.update(
        "household",
        ["township_code", "village_code", "urban", "address"],
        "SELECT id, township, village, urban::INT, address FROM hh WHERE changed",
    )
    out["persons_added"] = bulk.insert("person", *inserts["person"])
    out["persons_updated"] = bulk.update(
        "person",
        ["name", "household_id", "relation"],
        "SELECT id, name, hid, relation FROM pp WHERE old_id IS NOT NULL AND "
        "(name <> old_name OR hid <> old_hid OR relation <> old_relation)",
    )
    out["moves"] = bulk.insert("household_move", *inserts["household_move"])
    out["memberships_added"] = bulk.insert("membership", *inserts["membership"])
    out["memberships_updated"] = bulk.update(
        "membership", mcols, f"SELECT id, {msel} FROM mm WHERE changed"
    )
    bulk.fix_sequences(["household", "person", "membership"])
    # the resolved rows are written: free DuckDB's memory before the index rebuild needs it
    duck.execute("DROP TABLE mm; DROP TABLE pp; DROP TABLE hh; DROP TABLE fh; DROP TABLE fp")
    if rebuild and not bulk.pg:
        bulk.execute(f"PRAGMA cache_size = -{REBUILD_CACHE_KIB}")
    for statement in rebuild:
        bulk.execute(statement)
    if rebuild and not bulk.pg:
        bulk.execute("PRAGMA cache_size = -131072")
    reasons = ", ".join(
        "(" + ", ".join("'" + x.replace("'", "''") + "'" for x in (code, *spec)) + ")"
        for code, spec in ERRORS.items()
    )
    value = "CASE e.field " + " ".join(f"WHEN '{f}' THEN s.{f}" for f in FIELDS) + " END"
    if duck.execute("SELECT count(err) FROM r").fetchall()[0][0] == 0:
        return out
    bulk.insert(
        "registry_reject",
        ["import_id", "row_number", "field", "value", "reason_zh", "reason_en"],
        f"""
        SELECT {import_id}, r.row_number, e.field, nullif(left({value}, 255), ''),
          replace(e.zh, '{{d}}', coalesce(r.detail, '')),
          replace(e.en, '{{d}}', coalesce(r.detail, ''))
        FROM r JOIN (VALUES {reasons}) e(code, field, zh, en) ON e.code = r.err
        JOIN stage s ON s.row_number = r.row_number
        ORDER BY r.row_number
        """,
    )
    return out


def _detach(bulk: Bulk, conn: Any) -> None:
    """Detach the staged-rows file after the transaction (committed or rolled back); if that
    fails, the connection is discarded rather than returned to the pool still attached."""
    try:
        bulk.detach()
    except Exception:  # any driver error: drop the connection instead
        conn.invalidate()


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(bulk: Bulk) -> Any:
    """Now, as PostgreSQL wants it, or as SQLAlchemy stores DateTime in SQLite (naive UTC)."""
    now = _now()
    return now if bulk.pg else now.replace(tzinfo=None).isoformat(sep=" ")


def _previous(bulk: Bulk, sha: str) -> tuple[Any, ...] | None:
    row = bulk.execute(
        "SELECT id, rows_read, accepted, rejected FROM registry_import "
        "WHERE sha256 = ? AND repeat = ? ORDER BY id DESC LIMIT 1",
        (sha, False),
    ).fetchone()
    return tuple(row) if row else None


def _log(bulk: Bulk, name: str, sha: str, actor: str, repeat: bool, counts: tuple[int, ...]) -> int:
    sql = (
        "INSERT INTO registry_import (file_name, sha256, rows_read, accepted, rejected, repeat, "
        "actor, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    params = (name[:255], sha, *counts, repeat, actor[:100], _stamp(bulk), None)
    if bulk.pg:
        return int(bulk.execute(sql + " RETURNING id", params).fetchone()[0])
    return int(bulk.execute(sql, params).lastrowid)


def _apply(
    bulk: Bulk, staged: Path, name: str, sha: str, actor: str, progress: Progress | None
) -> tuple[int, int, int, dict[str, int]]:
    """The import inside its transaction: log, state, checks, ids, writes, counts."""
    duck = bulk.duck
    if bulk.pg:
        bulk.execute(
            "LOCK TABLE household, person, household_move, membership, "
            "registry_import IN SHARE ROW EXCLUSIVE MODE"
        )
    import_id = _log(bulk, name, sha, actor, False, (0, 0, 0))
    if not bulk.pg:  # a bigger page cache for the bulk writes (this connection)
        bulk.execute("PRAGMA cache_size = -131072")
    bulk.load("twn", "SELECT code FROM region WHERE level = 9", {"code": "VARCHAR"})
    if progress:
        progress("逐行校验 / checking rows")
    parse(duck, staged)
    _load_state(bulk)
    cross_checks(duck)
    maxes = [
        int(bulk.scalar(f"SELECT coalesce(max(id), 0) FROM {t}"))
        for t in ("household", "person", "membership")
    ]
    resolve(duck, *maxes)
    if progress:
        progress("写入数据库 / writing to the database")
    counts = _write(bulk, import_id)
    read, rejected = duck.execute("SELECT count(*), count(err) FROM r").fetchall()[0]
    accepted = read - rejected
    bulk.execute(
        "UPDATE registry_import SET rows_read = ?, accepted = ?, rejected = ?, "
        "finished_at = ? WHERE id = ?",
        (read, accepted, rejected, _stamp(bulk), import_id),
    )
    if not bulk.pg:
        bulk.execute("PRAGMA cache_size = -2000")
    return import_id, read, rejected, counts


def import_file(
    *,
    engine: Engine,
    path: Path,
    actor: str | None = None,
    force: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate and import one registry file; raise :class:`ImportRefused` if unreadable.

    A long bulk job and an exception to "callers own transactions": it takes the ``engine``
    and commits itself, once, with the import log and the quarantine (it may rebuild indexes
    and streams millions of rows through the driver's bulk paths).

    A file whose SHA-256 matches an earlier import is logged as a repeat and changes nothing
    (``force`` imports it again, which by the upsert rules also changes nothing unless the
    database changed in between).
    """
    t0 = time.perf_counter()
    actor = actor or getpass.getuser()
    rf = open_registry_file(path)
    sha = file_sha256(path)
    if not force:
        with engine.begin() as conn:
            bulk = Bulk(conn, None, Path("."))
            prev = _previous(bulk, sha)
            if prev is not None:
                import_id = _log(bulk, path.name, sha, actor, True, prev[1:])
                bulk.execute(
                    "UPDATE registry_import SET finished_at = ? WHERE id = ?",
                    (_stamp(bulk), import_id),
                )
                return ImportSummary(
                    import_id=import_id, file_name=path.name, sha256=sha, rows_read=prev[1],
                    accepted=prev[2], rejected=prev[3], repeat=True, repeat_of=prev[0],
                    seconds=time.perf_counter() - t0,
                )  # fmt: skip
    with scratch_dir("import") as tmp:
        duck = _duck(tmp)
        try:
            if progress:
                progress("读取并校验身份证号 / reading and checking resident IDs")
            staged = tmp / "stage.parquet"
            if _stage(rf, staged, today or ids.today_in_china(), progress) == 0:
                raise ImportRefused(f"文件没有数据行 / the file has no data rows: {path.name}")
            with engine.connect() as conn:
                bulk = Bulk(conn, duck, tmp)
                try:
                    with conn.begin():
                        import_id, read, rejected, counts = _apply(
                            bulk, staged, path.name, sha, actor, progress
                        )
                finally:
                    _detach(bulk, conn)
            accepted = read - rejected
        finally:
            duck.close()
    return ImportSummary(
        import_id=import_id, file_name=path.name, sha256=sha, rows_read=read,
        accepted=accepted, rejected=rejected, repeat=False, repeat_of=None,
        seconds=time.perf_counter() - t0, **counts,
    )  # fmt: skip
