"""The streaming part of an ingest: read, validate and write overlap in threads.

The reader runs in one thread (:func:`prefetch`), up to :data:`VALIDATORS` batches are validated
side by side (:func:`ordered_map`, results in file order) and Parquet writing runs in another
(:class:`Background`). Freed memory goes back to the OS every :data:`RELEASE_EVERY` batches.
"""

from __future__ import annotations

import ctypes
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from safetynet.feeds.lake import PartitionWriter
from safetynet.feeds.specs import FeedSpec
from safetynet.feeds.validate import REJECT_SCHEMA, make_rejects, validate_batch

__all__ = [
    "RELEASE_EVERY",
    "VALIDATORS",
    "Background",
    "Progress",
    "ordered_map",
    "prefetch",
    "stream",
]

VALIDATORS = 2  # batches validated side by side
#: freed memory goes back to the OS every this many batches (each release costs page faults)
RELEASE_EVERY = 4
Progress = Callable[[int, int], None]


def stream(
    spec: FeedSpec,
    reader: Any,
    writer: PartitionWriter,
    month: str,
    prefixes: list[str] | None,
    on_progress: Progress | None,
) -> tuple[tuple[int, int], pa.Table]:
    """Validate every batch of ``reader`` into ``writer``; ``((rows read, blank lines), rejects)``.

    Record IDs seen more than once in the file are quarantined (every occurrence) and dropped.
    """
    read = blank = batches = 0
    reject_parts: list[pa.Table] = []
    ids: list[pa.Array] = []
    numbers: list[pa.Array] = []

    def check(raw: Any) -> Any:
        return validate_batch(spec, raw.table, month=month, major_prefixes=prefixes)

    with Background(writer.write) as sink:
        for raw, checked in ordered_map(check, prefetch(reader.batches), VALIDATORS):
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
                release_memory()
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


def ordered_map(
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


def release_memory() -> None:
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


def prefetch(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
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


class Background:
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

    def __enter__(self) -> Background:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.q.put(_DONE)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


def _distinct(table: pa.Table) -> int:
    return len(pc.unique(table.column("row_number"))) if table.num_rows else 0
