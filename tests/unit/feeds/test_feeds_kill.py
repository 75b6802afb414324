"""A process killed in the middle of an ingest leaves the previous partition intact."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from safetynet.config import get_settings
from safetynet.feeds.lake import PAUSE_ENV
from safetynet.feeds.service import current_rejects, ingest_file, list_ingests
from tests.unit.feeds.feeds_data import GOOD, GOOD2, HOSPITAL_HEAD


def _file(path: Path, rows: list[str]) -> Path:
    path.write_text(HOSPITAL_HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_sigkill_before_swap_keeps_previous_partition(engine, db_url, tmp_path):
    first = _file(tmp_path / "a.csv", [f"A1,{GOOD},张三,2024-01-05,,医院,I10,10,,,,", "A2,bad,李四,2024-01-05,,医院,I10,10,,,,"])  # fmt: skip
    second = _file(tmp_path / "b.csv", [f"B{i},{GOOD2},王五,2024-01-06,,医院,I10,20,,,," for i in range(500)])  # fmt: skip
    ingest_file(engine=engine, source="hospital", month="2024-01", path=first)
    partition = get_settings().feed_partition("hospital", "2024-01")
    before = (partition / "part-0.parquet").read_bytes()
    rejects_before = current_rejects(engine=engine, source="hospital", month="2024-01")

    marker = tmp_path / "paused"
    env = {**os.environ, "SAFETYNET_DATABASE_URL": db_url, PAUSE_ENV: str(marker)}
    exe = str(Path(sys.executable).with_name("safetynet"))
    cmd = [exe, "feeds", "ingest", "-s", "hospital", "-m", "2024-01", str(second), "--json"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # bounded poll: the writer announces it is paused
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the ingest never reached the swap"
            time.sleep(0.02)
        temp_dir = Path(marker.read_text(encoding="utf-8"))
        assert (temp_dir / "part-0.parquet").is_file()  # new partition fully written…
    finally:
        proc.kill()  # SIGKILL
        proc.wait(timeout=30)
    assert proc.returncode == -9

    # …but never swapped in: the old partition, quarantine and log are untouched.
    assert (partition / "part-0.parquet").read_bytes() == before
    assert current_rejects(engine=engine, source="hospital", month="2024-01") == rejects_before
    assert len(list_ingests(engine=engine)) == 1

    # The next ingest tidies the leftover temporary directory and completes.
    r = ingest_file(engine=engine, source="hospital", month="2024-01", path=second)
    assert r.rows_accepted == 500 and not r.repeat
    assert not temp_dir.exists()
    assert sorted(p.name for p in partition.parent.iterdir()) == [
        ".month=2024-01.lock",
        "month=2024-01",
    ]
    assert current_rejects(engine=engine, source="hospital", month="2024-01") == []
