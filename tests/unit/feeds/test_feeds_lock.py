"""Ingests of one (source, month) are serialised by a lock file; other partitions never wait.

The lock is held by a real second process: either a small holder (which signals on stdout once
it has the lock and keeps it until its stdin is closed) or a real ``safetynet feeds ingest``
paused just before its swap.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from safetynet.feeds import lake
from safetynet.feeds.lake import PartitionBusy, lock_path
from safetynet.feeds.service import ingest_file
from tests.unit.feeds.feeds_data import (
    GOOD,
    GOOD2,
    HOSPITAL_HEAD,
    ingest_log,
    paused_ingest,
)

BUSY_ZH = "hospital 2024-01 的另一次导入仍在进行"
BUSY_EN = "another ingest of hospital 2024-01 is still running"

HOLDER = """
import sys
from pathlib import Path
from safetynet.feeds.lake import partition_lock
with partition_lock(Path(sys.argv[1]), timeout=0):
    print("held", flush=True)
    sys.stdin.read()  # keep the lock until the test closes our stdin
"""


def _hospital(path: Path, prefix: str, n: int = 3) -> Path:
    rows = [f"{prefix}{i},{GOOD},张三,2024-01-05,,医院,I10,{10 + i},,,," for i in range(n)]
    path.write_text(HOSPITAL_HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _death(path: Path) -> Path:
    path.write_text(f"死亡证明编号,身份证号,姓名,死亡日期\nD1,{GOOD2},李四,2024-01-03\n", "utf-8")
    return path


@contextmanager
def _held(partition: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the lock of ``partition`` until the block ends (or its stdin
    is closed)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(partition)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = proc.stdout.readline()  # blocks until the holder has the lock (or died)
        assert line == "held\n", proc.communicate()
        yield proc
    finally:
        proc.stdin.close()  # the holder exits and the kernel drops its lock
        proc.wait(timeout=30)


def test_same_partition_times_out_other_partitions_do_not_wait(engine, tmp_path):
    first = _hospital(tmp_path / "a.csv", "A")
    second = _hospital(tmp_path / "b.csv", "B", n=5)
    ingest_file(engine=engine, source="hospital", month="2024-01", path=first)
    partition = get_settings().feed_partition("hospital", "2024-01")
    before = (partition / "part-0.parquet").read_bytes()

    with _held(partition):
        t0 = time.monotonic()
        with pytest.raises(PartitionBusy) as busy:
            ingest_file(
                engine=engine, source="hospital", month="2024-01", path=second, lock_timeout=0.3
            )
        assert time.monotonic() - t0 >= 0.3  # it waited the whole timeout…
        assert BUSY_ZH in str(busy.value) and BUSY_EN in str(busy.value)
        assert "0.3 s" in str(busy.value)
        # …and changed nothing.
        assert (partition / "part-0.parquet").read_bytes() == before
        assert len(ingest_log(engine)) == 1

        # Another month of the source and another source of the month do not wait at all.
        feb = ingest_file(
            engine=engine, source="hospital", month="2024-02", path=second, lock_timeout=0
        )
        death = ingest_file(
            engine=engine, source="death", month="2024-01", path=_death(tmp_path / "d.csv"),
            lock_timeout=0,
        )  # fmt: skip
        assert (feb.rows_accepted, death.rows_accepted) == (5, 1)

    # Released: the same ingest goes through without waiting.
    r = ingest_file(engine=engine, source="hospital", month="2024-01", path=second, lock_timeout=0)
    assert r.rows_accepted == 5 and not r.repeat
    # The lock file sits beside the partitions, hidden; no month=* glob sees it.
    assert lock_path(partition) == partition.parent / ".month=2024-01.lock"
    assert sorted(p.name for p in partition.parent.iterdir()) == [
        ".month=2024-01.lock",
        ".month=2024-02.lock",
        "month=2024-01",
        "month=2024-02",
    ]
    assert sorted(p.name for p in partition.parent.glob("month=*")) == [
        "month=2024-01",
        "month=2024-02",
    ]
    assert [p.name for p in partition.glob("*.parquet")] == ["part-0.parquet"]


def test_waiting_ingest_goes_on_once_the_lock_is_released(engine, tmp_path):
    path = _hospital(tmp_path / "a.csv", "A")
    partition = get_settings().feed_partition("hospital", "2024-01")
    outcome: dict[str, Any] = {}
    waiting = threading.Event()

    def run() -> None:
        try:
            outcome["result"] = ingest_file(
                engine=engine, source="hospital", month="2024-01", path=path, lock_timeout=60,
                on_wait=waiting.set,
            )  # fmt: skip
        except BaseException as exc:
            outcome["error"] = exc

    with _held(partition) as holder:
        waiter = threading.Thread(target=run)
        waiter.start()
        assert waiting.wait(30)  # the ingest found the lock taken and said it waits
        # The lock is held for certain, so the ingest cannot have done anything yet.
        assert waiter.is_alive() and not outcome
        assert ingest_log(engine) == [] and not partition.exists()
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        waiter.join(60)
    assert not waiter.is_alive()
    assert "error" not in outcome, outcome
    assert outcome["result"].rows_accepted == 3
    assert len(ingest_log(engine)) == 1


def test_running_ingest_is_not_disturbed_by_a_second_one(engine, db_url, tmp_path):
    """A real ingest paused just before its swap holds the lock: a second ingest of the same
    partition must neither tidy away its unfinished partition nor swap in its own."""
    first = _hospital(tmp_path / "a.csv", "A")
    second = _hospital(tmp_path / "b.csv", "B", n=5)
    with paused_ingest(db_url, tmp_path, first) as (_proc, temp_dir):
        with pytest.raises(PartitionBusy, match=BUSY_EN):
            ingest_file(
                engine=engine, source="hospital", month="2024-01", path=second, lock_timeout=0.2
            )
        assert (temp_dir / "part-0.parquet").is_file()  # the running ingest's work is intact
        assert ingest_log(engine) == []

    # A killed holder leaves no stale lock: the next ingest runs at once.
    r = ingest_file(engine=engine, source="hospital", month="2024-01", path=second, lock_timeout=0)
    assert r.rows_accepted == 5
    assert not temp_dir.exists()


def test_cli_reports_a_busy_partition(use_db, tmp_path, monkeypatch):
    monkeypatch.setattr(lake, "LOCK_TIMEOUT", 0.2)
    path = _hospital(tmp_path / "a.csv", "A")
    partition = get_settings().feed_partition("hospital", "2024-01")
    with _held(partition):
        result = CliRunner().invoke(
            app, ["feeds", "ingest", "-s", "hospital", "-m", "2024-01", str(path)]
        )
    assert result.exit_code == 1
    text = " ".join(result.output.split())  # Rich may wrap the message
    assert "未做任何更改 / nothing changed" in text and BUSY_EN in text
    assert "waiting for another ingest of hospital 2024-01 to finish" in text
    assert "file refused" not in text
