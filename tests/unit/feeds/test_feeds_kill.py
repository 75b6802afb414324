"""A process killed in the middle of an ingest leaves the previous partition intact."""

from __future__ import annotations

from pathlib import Path

from safetynet.config import get_settings
from safetynet.feeds.service import ingest_file
from tests.unit.feeds.feeds_data import (
    GOOD,
    GOOD2,
    HOSPITAL_HEAD,
    ingest_log,
    paused_ingest,
    quarantine,
)


def _file(path: Path, rows: list[str]) -> Path:
    path.write_text(HOSPITAL_HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_sigkill_before_swap_keeps_previous_partition(engine, db_url, tmp_path):
    first = _file(tmp_path / "a.csv", [f"A1,{GOOD},张三,2024-01-05,,医院,I10,10,,,,", "A2,bad,李四,2024-01-05,,医院,I10,10,,,,"])  # fmt: skip
    second = _file(tmp_path / "b.csv", [f"B{i},{GOOD2},王五,2024-01-06,,医院,I10,20,,,," for i in range(500)])  # fmt: skip
    ingest_file(engine=engine, source="hospital", month="2024-01", path=first)
    partition = get_settings().feed_partition("hospital", "2024-01")
    before = (partition / "part-0.parquet").read_bytes()
    rejects_before = quarantine(engine, source="hospital", month="2024-01")

    with paused_ingest(db_url, tmp_path, second) as (proc, temp_dir):
        assert (temp_dir / "part-0.parquet").is_file()  # new partition fully written…
    assert proc.returncode == -9

    # …but never swapped in: the old partition, quarantine and log are untouched.
    assert (partition / "part-0.parquet").read_bytes() == before
    assert quarantine(engine, source="hospital", month="2024-01") == rejects_before
    assert len(ingest_log(engine)) == 1

    # The next ingest tidies the leftover temporary directory and completes.
    r = ingest_file(engine=engine, source="hospital", month="2024-01", path=second)
    assert r.rows_accepted == 500 and not r.repeat
    assert not temp_dir.exists()
    assert sorted(p.name for p in partition.parent.iterdir()) == [
        ".month=2024-01.lock",
        "month=2024-01",
    ]
    assert quarantine(engine, source="hospital", month="2024-01") == []
