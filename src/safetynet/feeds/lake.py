"""Atomic monthly partitions: ``<lake>/feeds/<source>/month=YYYY-MM/part-0.parquet``.

A partition is written into a hidden sibling directory ``.tmp-month=YYYY-MM-<random>/`` and
then swapped in with one atomic directory exchange (Linux ``renameat2(RENAME_EXCHANGE)``);
elsewhere two renames are used and :func:`recover` puts a saved old partition back if a crash
fell between them. Readers glob ``month=*`` and never see the hidden directories. A crash at any
point leaves either the old partition or the new one, never half of one.

Ingests of one (source, month) are serialised by :func:`partition_lock`: an exclusive
``flock`` on ``<lake>/feeds/<source>/.month=YYYY-MM.lock``, a hidden empty file beside the
partition that no reader globs. The kernel drops the lock when its holder exits, even by
``kill -9``, so a crash never leaves a stale lock; the file itself is kept (deleting a lock
file that another process may be opening would let two holders in).

:meth:`PartitionWriter.swap` takes an optional ``before`` callback, called with the complete
temporary partition just before the swap (the tests use it to stop an ingest there and kill
it, proving that a killed ingest leaves the previous partition intact).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from safetynet import codes
from safetynet.feeds.specs import FeedRefused
from safetynet.hashing import file_sha256

__all__ = [
    "LOCK_TIMEOUT",
    "PART_FILE",
    "PartitionBusy",
    "PartitionWriter",
    "lock_path",
    "month_partitions",
    "partition_dir",
    "partition_lock",
    "recover",
]

PART_FILE = "part-0.parquet"
#: how long an ingest waits for another ingest of the same (source, month), in seconds
LOCK_TIMEOUT = 600.0
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def partition_dir(lake: Path, source: str, month: str) -> Path:
    """The directory of one monthly partition: the lake's layout is decided here only.

    >>> partition_dir(Path("lake"), "hospital", "2024-03").as_posix()
    'lake/feeds/hospital/month=2024-03'
    """
    return lake / "feeds" / source / f"month={month}"


def month_partitions(
    lake: Path, month: str, sources: tuple[str, ...] = codes.FEED_SOURCES
) -> dict[str, list[Path]]:
    """The Parquet files of each source's partition for ``month``, by source in ``sources``
    order; sources without a partition are left out (readers never see hidden directories)."""
    out = {}
    for source in sources:
        files = sorted(partition_dir(lake, source, month).glob("*.parquet"))
        if files:
            out[source] = files
    return out


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories; False when the platform cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    res = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if res != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: filesystem cannot exchange
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover(partition: Path) -> None:
    """Tidy after a crash of an ingest of this partition: restore a partition saved by the
    two-rename fallback, delete unfinished temporary directories (other months untouched)."""
    parent = partition.parent
    if not parent.is_dir():
        return
    for old in parent.glob(f".old-{partition.name}-*"):
        if not partition.exists():
            old.rename(partition)
        else:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in parent.glob(f".tmp-{partition.name}-*"):
        shutil.rmtree(tmp, ignore_errors=True)


class PartitionBusy(FeedRefused):
    """Another ingest of the same (source, month) held the partition lock for the whole wait."""


def lock_path(partition: Path) -> Path:
    """The lock file of a partition: ``…/<source>/.month=YYYY-MM.lock`` (hidden, beside it).

    >>> lock_path(Path("lake/feeds/hospital/month=2024-03")).as_posix()
    'lake/feeds/hospital/.month=2024-03.lock'
    """
    return partition.parent / f".{partition.name}.lock"


@contextmanager
def partition_lock(
    partition: Path, *, timeout: float | None = None, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the exclusive lock of ``partition``, waiting at most ``timeout`` seconds for it
    (default :data:`LOCK_TIMEOUT`; 0 = do not wait). ``on_wait`` is called once, when the lock
    is found taken and the wait begins (to tell the person at the terminal).

    Raises :class:`PartitionBusy` if another holder keeps it that long. ``flock`` locks belong to
    the open file, so two threads of one process exclude each other as two processes do.
    """
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    path = lock_path(partition)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        pause = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if on_wait is not None and pause == 0.01 and timeout > 0:
                    on_wait()
                left = deadline - time.monotonic()
                if left <= 0:
                    source, month = partition.parent.name, partition.name.removeprefix("month=")
                    raise PartitionBusy(
                        f"{source} {month} 的另一次导入仍在进行，已等待 {timeout:g} 秒，请稍后重试 / "
                        f"another ingest of {source} {month} is still running; gave up after "
                        f"waiting {timeout:g} s, try again later"
                    ) from None
                time.sleep(min(pause, left))  # flock has no timeout of its own: poll
                pause = min(pause * 2, 0.5)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class PartitionWriter:
    """Write one partition into a hidden temporary directory, then swap it in atomically."""

    def __init__(
        self,
        partition: Path,
        schema: pa.Schema,
        dictionary: list[str] | None = None,
        statistics: list[str] | None = None,
    ) -> None:
        self.partition = partition
        self.schema = schema
        partition.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = partition.parent / f".tmp-{partition.name}-{uuid.uuid4().hex[:8]}"
        self.tmp.mkdir()
        self.file = self.tmp / PART_FILE
        #: columns worth dictionary encoding (unique keys are not)
        self.options = {
            "compression": "snappy",
            "use_dictionary": dictionary if dictionary is not None else True,
            "write_statistics": statistics if statistics is not None else True,
        }
        self._writer: pq.ParquetWriter | None = pq.ParquetWriter(self.file, schema, **self.options)
        self.rows = 0
        self._saved: Path | None = None  # where the old partition went (two-rename fallback)
        self._exchanged = False

    def write(self, table: pa.Table) -> None:
        if table.num_rows and self._writer is not None:
            self._writer.write_table(table)
            self.rows += table.num_rows

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def drop(self, column: str, values: pa.Array) -> int:
        """Remove rows whose ``column`` is in ``values`` (rewrites the temporary file)."""
        self._close()
        src = pq.ParquetFile(self.file)
        out = self.tmp / "part-0.filtered"
        dropped = 0
        with pq.ParquetWriter(out, self.schema, **self.options) as writer:
            for batch in src.iter_batches(batch_size=256_000):
                keep = pc.invert(pc.is_in(batch.column(column), value_set=values))
                kept = batch.filter(pc.fill_null(keep, True))
                dropped += batch.num_rows - kept.num_rows
                writer.write_table(pa.Table.from_batches([kept], schema=self.schema))
        src.close()
        out.replace(self.file)
        self.rows -= dropped
        return dropped

    def finish(self) -> str:
        """Close and flush the file; returns its SHA-256 (the partition hash)."""
        self._close()
        with self.file.open("rb") as fh:
            os.fsync(fh.fileno())
        _fsync_dir(self.tmp)
        return file_sha256(self.file)

    def swap(self, *, before: Callable[[Path], None] | None = None) -> None:
        """Put the new partition in place of the old one in one step (``before`` is called
        with the complete temporary partition first)."""
        if before is not None:
            before(self.tmp)
        if self.partition.exists():
            if _exchange(self.tmp, self.partition):
                self._exchanged = True
            else:
                self._saved = (
                    self.partition.parent / f".old-{self.partition.name}-{self.tmp.name[-8:]}"
                )
                self.partition.rename(self._saved)
                self.tmp.rename(self.partition)
        else:
            self.tmp.rename(self.partition)
        _fsync_dir(self.partition.parent)

    def undo(self) -> None:
        """Reverse :meth:`swap` (the database transaction failed after the swap)."""
        if self._exchanged:
            _exchange(self.tmp, self.partition)
            self._exchanged = False
        elif self._saved is not None:
            self.partition.rename(self.tmp)
            self._saved.rename(self.partition)
            self._saved = None
        elif self.partition.exists() and not self.tmp.exists():
            self.partition.rename(self.tmp)

    def cleanup(self) -> None:
        """After a successful commit: delete the replaced partition."""
        if self._exchanged:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._saved is not None:
            shutil.rmtree(self._saved, ignore_errors=True)

    def abort(self) -> None:
        """Throw the unfinished partition away (the old one is untouched)."""
        self._close()
        if self.tmp.exists() and not self._exchanged:
            shutil.rmtree(self.tmp, ignore_errors=True)
