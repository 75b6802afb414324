"""Ingest department files: read, validate, quarantine, write the lake partition, log.

Order of work for one file (nothing changes until step 4):

1. SHA-256 of the file. If the current partition of (source, month) came from a file with the
   same hash and is still intact, log a *repeat* and stop: lake and quarantine stay as they are.
2. Read and validate in batches; accepted rows stream into a hidden temporary partition.
3. Record IDs seen more than once in the file are quarantined (every occurrence) and removed.
4. One database transaction: log row, previous quarantine of (source, month) replaced by the
   new one, partition swapped in atomically, commit (on failure the swap is undone).

Invariant checked and stored: rows read = accepted + quarantined (blank lines are not rows).
"""

from __future__ import annotations

import ctypes
import getpass
import hashlib
import os
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from safetynet.config import Settings, get_settings
from safetynet.feeds.lake import PART_FILE, PartitionWriter, file_sha256, recover
from safetynet.feeds.models import FeedIngest, FeedReject
from safetynet.feeds.readers import FeedRefused, open_feed
from safetynet.feeds.specs import SOURCES, FeedSpec, get_spec
from safetynet.feeds.validate import (
    REJECT_SCHEMA,
    lake_schema,
    make_rejects,
    month_bounds,
    validate_batch,
)

__all__ = [
    "MAJOR_DISEASE_PARAM",
    "IngestResult",
    "check_month",
    "current_rejects",
    "default_actor",
    "find_month_files",
    "ingest_file",
    "list_ingests",
]

MAJOR_DISEASE_PARAM = "medical.major_diseases.icd10_prefixes"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
VALIDATORS = 2  # batches validated side by side
#: freed memory goes back to the OS every this many batches (each release costs page faults)
RELEASE_EVERY = 4
_EXTS = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
Progress = Callable[[int, int], None]


@dataclass
class IngestResult:
    """What one ingest did (also what ``feeds ingest --json`` prints)."""

    id: int
    source: str
    month: str
    file_name: str
    file_sha256: str
    file_bytes: int
    file_format: str
    encoding: str | None
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    blank_lines: int
    repeat: bool
    partition_path: str
    partition_sha256: str
    actor: str
    started_at: datetime
    finished_at: datetime
    extra_columns: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def default_actor() -> str:
    """The operating-system user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def check_month(month: str) -> str:
    """``month`` if it is ``YYYY-MM``; otherwise FeedRefused.

    >>> check_month("2024-03")
    '2024-03'
    """
    if not _MONTH.match(month or ""):
        raise FeedRefused(f"月份格式应为 YYYY-MM / month must look like 2024-03, got {month!r}")
    return month


def _major_prefixes(
    spec: FeedSpec, month: str, parameters: Any
) -> tuple[list[str] | None, str | None]:
    if not any(name == "major_disease" for name, _ in spec.derived):
        return None, None
    if parameters is None:
        from safetynet.policy.parameters import default_parameters

        parameters = default_parameters()
    on = month_bounds(month)[1]
    try:
        prefixes = parameters.get(MAJOR_DISEASE_PARAM, on)
    except ValueError as exc:
        raise FeedRefused(
            f"重大疾病目录参数不可用 / major-disease list unavailable: {exc}"
        ) from None
    return [str(p) for p in prefixes], parameters.version


def _last_ingest(engine: Engine, source: str, month: str) -> FeedIngest | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(FeedIngest.__table__)
            .where(
                FeedIngest.source == source, FeedIngest.month == month, FeedIngest.repeat.is_(False)
            )
            .order_by(FeedIngest.id.desc())
            .limit(1)
        ).first()
    return FeedIngest(**row._mapping) if row else None


def _now() -> datetime:
    return datetime.now(UTC)


def ingest_file(
    *,
    engine: Engine,
    source: str,
    month: str,
    path: Path,
    actor: str | None = None,
    settings: Settings | None = None,
    parameters: Any = None,
    on_progress: Progress | None = None,
) -> IngestResult:
    """Ingest one department file into the (source, month) partition; see the module doc."""
    started = _now()
    spec = get_spec(source)
    check_month(month)
    path = Path(path)
    settings = settings or get_settings()
    actor = actor or default_actor()
    partition = settings.feed_partition(source, month)
    recover(partition)
    if not path.is_file():
        raise FeedRefused(f"文件不存在 / file not found: {path}")
    size = path.stat().st_size
    last = _last_ingest(engine, source, month)
    part_file = partition / PART_FILE
    sha: str | None = None
    if last is not None and last.file_bytes == size:  # only a same-size file can be a repeat
        sha = file_sha256(path)
        if (
            last.file_sha256 == sha
            and part_file.is_file()
            and file_sha256(part_file) == last.partition_sha256
        ):
            return _log_repeat(engine, last, path, actor, started)

    hasher = hashlib.sha256() if sha is None else None
    reader = open_feed(spec, path, hasher)  # refuses unreadable files before anything changes
    prefixes, params_version = _major_prefixes(spec, month, parameters)
    # Dictionary-encode repetitive columns only; skip statistics on amounts (costly, rarely used).
    keys = (spec.record_id, spec.resident_id)
    dictionary = [f.name for f in spec.fields if f.kind != "amount" and f.name not in keys]
    stats = [
        n
        for n in lake_schema(spec).names
        if n not in {f.name for f in spec.fields if f.kind == "amount"}
    ]
    writer = PartitionWriter(partition, lake_schema(spec), dictionary, stats)
    try:
        counts, rejects = _stream(spec, reader, writer, month, prefixes, on_progress)
        part_sha = writer.finish()
        if sha is None:
            sha = hasher.hexdigest() if reader.hashed and hasher else file_sha256(path)
        quarantined = len(pc.unique(rejects.column("row_number"))) if rejects.num_rows else 0
        read, blank = counts
        if read != writer.rows + quarantined:
            raise RuntimeError(
                f"internal error: rows read {read} ≠ accepted {writer.rows} + quarantined {quarantined}"
            )
        values: dict[str, Any] = {
            "source": source,
            "month": month,
            "file_name": str(path.name)[:500],
            "file_sha256": sha,
            "file_bytes": size,
            "file_format": reader.format,
            "encoding": reader.encoding,
            "rows_read": read,
            "rows_accepted": writer.rows,
            "rows_quarantined": quarantined,
            "blank_lines": blank,
            "repeat": False,
            "repeat_of": None,
            "actor": actor[:100],
            "started_at": started,
            "partition_path": str(partition),
            "partition_sha256": part_sha,
            "parameters_version": params_version,
        }
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                values["finished_at"] = _now()
                ingest_id = conn.execute(
                    insert(FeedIngest).values(**values).returning(FeedIngest.id)
                ).scalar_one()
                conn.execute(
                    delete(FeedReject).where(FeedReject.source == source, FeedReject.month == month)
                )
                _insert_rejects(conn, rejects, ingest_id, source, month)
                writer.swap()
                trans.commit()
            except BaseException:
                trans.rollback()
                writer.undo()
                raise
        writer.cleanup()
    finally:
        writer.abort()
    return IngestResult(
        id=ingest_id,
        extra_columns=reader.extra_columns,
        **{k: v for k, v in values.items() if k not in ("repeat_of", "parameters_version")},
    )


def _stream(
    spec: FeedSpec,
    reader: Any,
    writer: PartitionWriter,
    month: str,
    prefixes: list[str] | None,
    on_progress: Progress | None,
) -> tuple[tuple[int, int], pa.Table]:
    read = blank = batches = 0
    reject_parts: list[pa.Table] = []
    ids: list[pa.Array] = []
    numbers: list[pa.Array] = []

    def check(raw: Any) -> Any:
        return validate_batch(spec, raw.table, month=month, major_prefixes=prefixes)

    with _Background(writer.write) as sink:
        for raw, checked in _ordered_map(check, _prefetch(reader.batches), VALIDATORS):
            sink.put(checked.accepted)
            read += checked.rows + _distinct(raw.malformed)
            blank += checked.blank + raw.blank
            for part in (checked.rejects, raw.malformed):
                if part.num_rows:
                    reject_parts.append(part)
            ids.append(checked.record_ids)
            numbers.append(checked.row_numbers)
            if on_progress:
                on_progress(reader.progress(), reader.total)
            batches += 1
            if batches % RELEASE_EVERY == 0:
                _release_memory()
    if ids:
        all_ids = pa.chunked_array(ids, pa.string())
        all_numbers = pa.chunked_array(numbers, pa.int64())
        dup_ids = _repeated(all_ids)
        if len(dup_ids):  # rare: quarantine every occurrence of a repeated ID
            table = pa.table({"rid": all_ids, "rn": all_numbers}).filter(pc.is_valid(all_ids))
            hit = table.filter(pc.is_in(table.column("rid"), value_set=dup_ids))
            rid = hit.column("rid").combine_chunks()
            reject_parts.append(
                make_rejects(hit.column("rn").combine_chunks(), rid, "record_id", rid, "duplicate")
            )
            writer.drop("record_id", dup_ids)
    rejects = pa.concat_tables(reject_parts) if reject_parts else REJECT_SCHEMA.empty_table()
    return (read, blank), rejects.sort_by([("row_number", "ascending")])


def _ordered_map(
    fn: Callable[[Any], Any], items: Iterator[Any], workers: int
) -> Iterator[tuple[Any, Any]]:
    """``(item, fn(item))`` in input order, ``fn`` running on up to ``workers`` items at once.

    Validation is numpy and Arrow work that mostly runs without the GIL, so two batches are
    checked side by side on two cores; at most ``workers`` batches are in flight.
    """
    if workers <= 1:
        for item in items:
            yield item, fn(item)
        return
    pending: deque[tuple[Any, Future[Any]]] = deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="feeds-validate") as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(fn, item)))
                if len(pending) >= workers:
                    first, done = pending.popleft()
                    yield first, done.result()
            while pending:
                first, done = pending.popleft()
                yield first, done.result()
        finally:
            for _item, fut in pending:
                fut.cancel()


def _repeated(ids: pa.ChunkedArray) -> pa.Array:
    """The distinct non-null values that occur more than once (one sort, no hash table).

    >>> _repeated(pa.chunked_array([["a", "b", None], ["c", "a", None, "a"]])).to_pylist()
    ['a']
    """
    values = ids.drop_null()
    if len(values) < 2:
        return pa.array([], pa.string())
    ordered = pc.take(values, pc.sort_indices(values))
    same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
    repeated = pc.unique(ordered.slice(1).filter(same))
    return repeated.combine_chunks() if isinstance(repeated, pa.ChunkedArray) else repeated


_DONE = object()


def _release_memory() -> None:
    """Hand freed memory back to the OS (every few batches) so RSS stays flat on big files."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def _prefetch(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Iterate ``items`` in a background thread (CSV parsing overlaps validation)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((True, _DONE))
        except BaseException as exc:  # handed to the consumer
            q.put((False, exc))

    thread = threading.Thread(target=run, name="feeds-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = q.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


class _Background:
    """Run ``fn(item)`` for each queued item in one background thread (Parquet writing)."""

    def __init__(self, fn: Callable[[Any], None], depth: int = 2) -> None:
        self.fn = fn
        self.q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="feeds-writer", daemon=True)

    def _run(self) -> None:
        while (item := self.q.get()) is not _DONE:
            if self.error is None:
                try:
                    self.fn(item)
                except BaseException as exc:
                    self.error = exc

    def put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.q.put(item)

    def __enter__(self) -> _Background:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.q.put(_DONE)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


def _distinct(table: pa.Table) -> int:
    return len(pc.unique(table.column("row_number"))) if table.num_rows else 0


def _insert_rejects(conn: Any, rejects: pa.Table, ingest_id: int, source: str, month: str) -> None:
    if not rejects.num_rows:
        return
    cut = rejects.set_column(
        rejects.schema.get_field_index("value"),
        "value",
        pc.utf8_slice_codeunits(rejects.column("value"), 0, 500),
    ).set_column(
        rejects.schema.get_field_index("record_id"),
        "record_id",
        pc.utf8_slice_codeunits(rejects.column("record_id"), 0, 100),
    )
    cols = ["ingest_id", "source", "month", *REJECT_SCHEMA.names]
    fixed = (ingest_id, source, month)

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, cut.num_rows, 50_000):
            data = cut.slice(start, 50_000).to_pydict()
            yield [fixed + r for r in zip(*(data[c] for c in REJECT_SCHEMA.names), strict=True)]

    if conn.dialect.name == "postgresql":  # COPY: the fast path for large quarantines
        copy_sql = f"COPY feed_reject ({', '.join(cols)}) FROM STDIN"
        with conn.connection.driver_connection.cursor() as cur, cur.copy(copy_sql) as cp:
            for rows in chunks():
                for row in rows:
                    cp.write_row(row)
        return
    sql = f"INSERT INTO feed_reject ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    for rows in chunks():
        conn.exec_driver_sql(sql, rows)


def _log_repeat(
    engine: Engine, last: FeedIngest, path: Path, actor: str, started: datetime
) -> IngestResult:
    values = {c.name: getattr(last, c.name) for c in FeedIngest.__table__.columns if c.name != "id"}
    values.update(
        file_name=str(path.name)[:500],
        repeat=True,
        repeat_of=last.id,
        actor=actor[:100],
        started_at=started,
        finished_at=_now(),
    )
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(FeedIngest).values(**values).returning(FeedIngest.id)
        ).scalar_one()
    return IngestResult(
        id=new_id,
        **{k: v for k, v in values.items() if k not in ("repeat_of", "parameters_version")},
    )


def list_ingests(
    *, engine: Engine, source: str | None = None, month: str | None = None
) -> list[dict[str, Any]]:
    """The ingest log, newest first."""
    stmt = select(FeedIngest.__table__).order_by(FeedIngest.id.desc())
    if source:
        stmt = stmt.where(FeedIngest.source == source)
    if month:
        stmt = stmt.where(FeedIngest.month == month)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def current_rejects(*, engine: Engine, source: str, month: str) -> list[dict[str, Any]]:
    """The quarantine of the (source, month) partition as it stands, by row number."""
    t = FeedReject.__table__
    stmt = (
        select(t).where(t.c.source == source, t.c.month == month).order_by(t.c.row_number, t.c.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def find_month_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Feed files of a month folder by source (``<source>.<csv|xlsx|parquet>``) and problems."""
    found: dict[str, Path] = {}
    problems: list[str] = []
    clashes: set[str] = set()
    for path in sorted(Path(directory).iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        stem, ext = path.stem.lower(), path.suffix.lower()
        if stem not in SOURCES or ext not in _EXTS:
            problems.append(
                f"忽略文件 / ignored file (not <source>.<csv|xlsx|parquet>): {path.name}"
            )
            continue
        if stem in found or stem in clashes:
            problems.append(f"同一来源有多个文件，均未导入 / several files for {stem}: {path.name}")
            found.pop(stem, None)
            clashes.add(stem)
            continue
        found[stem] = path
    return found, problems
