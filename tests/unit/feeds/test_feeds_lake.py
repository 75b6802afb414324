"""Atomic partition writes: swap, undo, fallback renames and recovery after a crash."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from safetynet.feeds import lake
from safetynet.feeds.lake import PartitionWriter, recover

SCHEMA = pa.schema([("x", pa.int64())])


def _write(partition: Path, values: list[int]) -> PartitionWriter:
    w = PartitionWriter(partition, SCHEMA)
    w.write(pa.table({"x": values}, schema=SCHEMA))
    w.finish()
    return w


def _read(partition: Path) -> list[int]:
    return pq.read_table(partition / "part-0.parquet").column("x").to_pylist()


@pytest.mark.parametrize("exchange", [True, False])
def test_swap_replaces_and_undo_restores(tmp_path, monkeypatch, exchange):
    if not exchange:  # the two-rename fallback of platforms without renameat2
        monkeypatch.setattr(lake, "_exchange", lambda a, b: False)
    part = tmp_path / "feeds" / "death" / "month=2024-01"
    first = _write(part, [1])
    first.swap()
    first.cleanup()
    assert _read(part) == [1]

    second = _write(part, [2, 3])
    second.swap()
    assert _read(part) == [2, 3]
    second.undo()  # e.g. the database commit failed
    second.abort()
    assert _read(part) == [1]
    assert sorted(p.name for p in part.parent.iterdir()) == ["month=2024-01"]

    third = _write(part, [4])
    third.swap()
    third.cleanup()
    third.abort()
    assert _read(part) == [4]
    assert sorted(p.name for p in part.parent.iterdir()) == ["month=2024-01"]


def test_recover_after_crash_between_renames(tmp_path):
    part = tmp_path / "month=2024-01"
    saved = tmp_path / ".old-month=2024-01-abcd1234"
    _write(part, [7]).swap()
    part.rename(saved)  # crash after moving the old partition away
    (tmp_path / ".tmp-month=2024-01-deadbeef").mkdir()  # and an unfinished new one
    (tmp_path / ".tmp-month=2024-02-deadbeef").mkdir()  # another month's ingest: untouched
    recover(part)
    assert _read(part) == [7]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".tmp-month=2024-02-deadbeef",
        "month=2024-01",
    ]


def test_drop_rewrites_the_temporary_file(tmp_path):
    part = tmp_path / "month=2024-01"
    w = PartitionWriter(part, pa.schema([("record_id", pa.string())]))
    w.write(pa.table({"record_id": ["a", "b", "a", "c"]}))
    assert w.drop("record_id", pa.array(["a"])) == 2
    w.finish()
    w.swap()
    assert pq.read_table(part / "part-0.parquet").column("record_id").to_pylist() == ["b", "c"]
    assert w.rows == 2
