"""Ingest department files: read, validate, quarantine, write the lake partition, log.

Order of work for one file (nothing changes until step 4). Steps 1–4 run under the exclusive
lock of the (source, month) partition (:func:`~safetynet.feeds.lake.partition_lock`), so a
second ingest of the same partition waits for the first; other partitions do not wait.

1. SHA-256 of the file. If the current partition of (source, month) came from a file with the
   same hash and is still intact, log a *repeat* and stop: lake and quarantine stay as they are.
2. Read and validate in batches; accepted rows stream into a hidden temporary partition.
3. Record IDs seen more than once in the file are quarantined (every occurrence) and removed.
4. One database transaction: log row, previous quarantine of (source, month) replaced by the
   new one, partition swapped in atomically, commit (on failure the swap is undone).

Invariant checked and stored: rows read = accepted + quarantined (blank lines are not rows).

The streaming of step 2–3 is in :mod:`._pipeline`; the log and quarantine rows are written by
:mod:`._ingest_log`.
"""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safetynet.config import Settings, get_settings
from safetynet.feeds._ingest_log import insert_rejects, last_ingest, log_repeat, now
from safetynet.feeds._pipeline import Progress, stream
from safetynet.feeds.lake import (
    PART_FILE,
    PartitionBusy,
    PartitionWriter,
    partition_lock,
    recover,
)
from safetynet.feeds.models import FeedIngest, FeedReject
from safetynet.feeds.readers import FeedRefused, open_feed
from safetynet.feeds.schemas import IngestLogEntry, IngestResult, MonthIngest, QuarantineRow
from safetynet.feeds.specs import SOURCES, FeedSpec, get_spec
from safetynet.feeds.validate import lake_schema, month_bounds
from safetynet.hashing import file_sha256
from safetynet.inputfiles import visible

__all__ = [
    "MAJOR_DISEASE_PARAM",
    "IngestLogEntry",
    "IngestResult",
    "MonthIngest",
    "PartitionBusy",
    "QuarantineRow",
    "check_month",
    "current_rejects",
    "default_actor",
    "find_month_files",
    "ingest_file",
    "ingest_month",
    "list_ingests",
]

MAJOR_DISEASE_PARAM = "medical.major_diseases.icd10_prefixes"
_EXTS = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")


def default_actor() -> str:
    """The operating-system user running the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def check_month(month: str) -> str:
    """``month`` if it is ``YYYY-MM`` within the months ingest accepts
    (:func:`safetynet.months.check`); otherwise FeedRefused.

    >>> check_month("2024-03")
    '2024-03'
    """
    from safetynet.months import MonthError, check

    try:
        return check(month)
    except MonthError as exc:
        raise FeedRefused(str(exc)) from None


def _major_prefixes(
    spec: FeedSpec, month: str, parameters: Any
) -> tuple[list[str] | None, str | None]:
    if not any(name == "major_disease" for name, _ in spec.derived):
        return None, None
    if parameters is None:
        from safetynet.parameters import default_parameters

        parameters = default_parameters()
    on = month_bounds(month)[1]
    try:
        prefixes = parameters.get(MAJOR_DISEASE_PARAM, on)
    except ValueError as exc:
        raise FeedRefused(
            f"重大疾病目录参数不可用 / major-disease list unavailable: {exc}"
        ) from None
    return [str(p) for p in prefixes], parameters.version_of(MAJOR_DISEASE_PARAM)


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
    lock_timeout: float | None = None,
    on_wait: Callable[[], None] | None = None,
    before_swap: Callable[[Path], None] | None = None,
) -> IngestResult:
    """Ingest one department file into the (source, month) partition; see the module doc.

    A bulk job and an exception to "callers own transactions": it takes the ``engine`` and
    commits itself, because its one transaction must end together with the partition swap
    (the swap is undone when the commit fails).

    Waits up to ``lock_timeout`` seconds (default :data:`~safetynet.feeds.lake.LOCK_TIMEOUT`)
    while another ingest of the same (source, month) runs (``on_wait`` is called once when the
    wait begins), then raises :class:`PartitionBusy` with nothing changed; ingests of other
    partitions never wait for each other. ``before_swap`` is called with the complete new
    partition's temporary directory just before it is swapped in (inside the transaction).
    """
    spec = get_spec(source)
    check_month(month)
    path = Path(path)
    if not path.is_file():
        raise FeedRefused(f"文件不存在 / file not found: {path}")
    partition = (settings or get_settings()).feed_partition(source, month)
    with partition_lock(partition, timeout=lock_timeout, on_wait=on_wait):
        return _ingest_locked(
            engine=engine,
            spec=spec,
            month=month,
            path=path,
            partition=partition,
            actor=actor or default_actor(),
            parameters=parameters,
            on_progress=on_progress,
            before_swap=before_swap,
        )


def _ingest_locked(
    *,
    engine: Engine,
    spec: FeedSpec,
    month: str,
    path: Path,
    partition: Path,
    actor: str,
    parameters: Any,
    on_progress: Progress | None,
    before_swap: Callable[[Path], None] | None = None,
) -> IngestResult:
    """Steps 1–4 of the module doc, run while holding the partition lock."""
    started = now()
    source = spec.source
    recover(partition)  # leftovers of a crashed ingest (none can be running: we hold the lock)
    size = path.stat().st_size
    last = last_ingest(engine, source, month)
    part_file = partition / PART_FILE
    sha: str | None = None
    if last is not None and last.file_bytes == size:  # only a same-size file can be a repeat
        sha = file_sha256(path)
        if (
            last.file_sha256 == sha
            and part_file.is_file()
            and file_sha256(part_file) == last.partition_sha256
        ):
            return log_repeat(engine, last, path, actor, started)

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
        counts, rejects = stream(spec, reader, writer, month, prefixes, on_progress)
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
                values["finished_at"] = now()
                ingest_id = conn.execute(
                    insert(FeedIngest).values(**values).returning(FeedIngest.id)
                ).scalar_one()
                conn.execute(
                    delete(FeedReject).where(FeedReject.source == source, FeedReject.month == month)
                )
                insert_rejects(conn, rejects, ingest_id, source, month)
                writer.swap(before=before_swap)
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


def list_ingests(
    *, session: Session, source: str | None = None, month: str | None = None
) -> list[IngestLogEntry]:
    """The ingest log, newest first."""
    stmt = select(FeedIngest).order_by(FeedIngest.id.desc())
    if source:
        stmt = stmt.where(FeedIngest.source == source)
    if month:
        stmt = stmt.where(FeedIngest.month == month)
    return [IngestLogEntry.model_validate(r) for r in session.scalars(stmt)]


def current_rejects(*, session: Session, source: str, month: str) -> list[QuarantineRow]:
    """The quarantine of the (source, month) partition as it stands, by row number."""
    stmt = (
        select(FeedReject)
        .where(FeedReject.source == source, FeedReject.month == month)
        .order_by(FeedReject.row_number, FeedReject.id)
    )
    return [QuarantineRow.model_validate(r) for r in session.scalars(stmt)]


def _not_regular(entry: os.DirEntry[str]) -> str | None:
    """Why a folder entry is not read (None for a regular file); links are never followed."""
    if entry.is_symlink():
        if not os.path.exists(entry.path):
            return "链接目标不存在 / dangling symbolic link, not followed"
        return "符号链接，不跟随 / symbolic link, not followed (only regular files are read)"
    if entry.is_dir(follow_symlinks=False):
        return "是文件夹 / a folder, not a file"
    if not entry.is_file(follow_symlinks=False):
        return "不是普通文件（管道、设备或套接字）/ not a regular file (FIFO, device or socket)"
    return None


def find_month_files(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """Feed files of a month folder by source (``<source>.<csv|xlsx|parquet>``) and problems.

    Only regular files directly inside the folder are read; every other entry — a symbolic
    link (even one pointing at a regular file), a dangling link, a FIFO, a device, a folder, a
    hidden file — is listed in the problems with the reason it was skipped.
    """
    found: dict[str, Path] = {}
    problems: list[str] = []
    clashes: set[str] = set()
    with os.scandir(directory) as entries:
        listing = sorted(entries, key=lambda e: e.name)
    for entry in listing:
        path = Path(entry.path)
        shown = visible(entry.name)
        why = _not_regular(entry)
        if why is None and entry.name.startswith("."):
            why = "隐藏文件 / hidden file"
        if why is not None:
            problems.append(f"跳过 / skipped {shown}: {why}")
            continue
        stem, ext = path.stem.lower(), path.suffix.lower()
        if stem not in SOURCES or ext not in _EXTS:
            problems.append(f"忽略文件 / ignored file (not <source>.<csv|xlsx|parquet>): {shown}")
            continue
        if stem in found or stem in clashes:
            problems.append(f"同一来源有多个文件，均未导入 / several files for {stem}: {shown}")
            found.pop(stem, None)
            clashes.add(stem)
            continue
        found[stem] = path
    return found, problems


def ingest_month(
    *,
    engine: Engine,
    directory: Path,
    month: str | None = None,
    actor: str | None = None,
    settings: Settings | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_wait: Callable[[str, str], None] | None = None,
    on_result: Callable[[IngestResult], None] | None = None,
) -> MonthIngest:
    """Ingest every ``<source>.<csv|xlsx|parquet>`` file of a month folder (default month: the
    folder's name), each file through :func:`ingest_file` (a bulk job with its own transaction).

    A file that is refused or busy becomes a problem and the others still load. Raises
    :class:`FeedRefused` (nothing changed) when the folder is missing, its month is not
    ``YYYY-MM`` or it holds no feed file at all. ``on_progress(source, done, total)``,
    ``on_wait(source, month)`` and ``on_result(result)`` report each file as it goes.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FeedRefused(f"目录不存在 / no such folder: {directory}")
    month = month or directory.name
    try:
        check_month(month)
    except FeedRefused as exc:
        raise FeedRefused(
            f"{exc} (目录名应为 YYYY-MM 或使用 --month / name the folder YYYY-MM or pass --month)"
        ) from None
    files, problems = find_month_files(directory)
    if not files and not problems:
        raise FeedRefused(f"目录中没有数据文件 / no feed files in {directory}")
    results: list[IngestResult] = []
    for source, path in files.items():

        def progress(done: int, total: int, source: str = source) -> None:
            if on_progress:
                on_progress(source, done, total)

        def waiting(source: str = source, month: str = month) -> None:
            if on_wait:
                on_wait(source, month)

        try:
            result = ingest_file(
                engine=engine, source=source, month=month, path=path, actor=actor,
                settings=settings, on_progress=progress, on_wait=waiting,
            )  # fmt: skip
        except PartitionBusy as exc:
            problems.append(f"{path.name}: 未导入 / not ingested: {exc}")
            continue
        except FeedRefused as exc:
            problems.append(f"{path.name}: 文件被拒绝 / refused: {exc}")
            continue
        results.append(result)
        if on_result:
            on_result(result)
    return MonthIngest(month=month, results=results, problems=problems)
