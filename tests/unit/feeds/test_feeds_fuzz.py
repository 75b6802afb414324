"""Fuzzing ``feeds ingest`` with random bytes and random mutations of a valid CSV, XLSX and
Parquet file, on SQLite and PostgreSQL (see :mod:`tests.unit.fuzz_files` for the invariants)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from safetynet.config import get_settings
from safetynet.feeds.specs import get_spec
from tests.unit.feeds.feeds_data import GOOD, GOOD2, acceptance_bytes
from tests.unit.fuzz_files import CELL_TEXT, FUZZ, mutated, mutated_xlsx, run
from tests.unit.hostile import xlsx_bytes

# An exception Python prints as "ignored" (with a traceback) fails the example too.
pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

HEAD = ["死亡证明编号", "身份证号", "姓名", "死亡日期"]
ROWS = [
    ["S1", GOOD, "张三", "2024-01-02"],
    ["S2", GOOD2, "李四", "2024-01-03"],
    ["S3", "1234", "王五", "2024-02-30"],
    ["S4", GOOD2, "赵六", "2024/1/5"],
]
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _csv() -> bytes:
    return "\r\n".join(",".join(r) for r in [HEAD, *ROWS]).encode("utf-8")


def _parquet(rows: list[list[object]] | None = None) -> bytes:
    data = rows if rows is not None else ROWS
    buf = io.BytesIO()
    pq.write_table(pa.table({h: [r[i] for r in data] for i, h in enumerate(HEAD)}), buf)
    return buf.getvalue()


def _state(url: str) -> tuple:
    eng = create_engine(url)
    with eng.connect() as conn:
        log = conn.execute(text("SELECT count(*) FROM feed_ingest")).scalar()
        rejects = conn.execute(text("SELECT count(*), coalesce(max(id), 0) FROM feed_reject")).one()
    eng.dispose()
    lake = get_settings().lake / "feeds"
    files = sorted(
        (str(p.relative_to(lake)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in lake.rglob("*.parquet")
    )
    return log, tuple(rejects), files


def _ingest(url: str, tmp: Path, data: bytes, suffix: str, source: str = "death") -> None:
    path = tmp / f"{source}{suffix}"
    path.write_bytes(data)
    before = _state(url)
    code, out, err = run(["feeds", "ingest", "-s", source, "-m", "2024-01", str(path), "--json"])
    if code == 1:
        assert "nothing changed" in err, err
        assert _state(url) == before, "a refused file changed something"
        return
    result = json.loads(out)
    read, ok, quarantined = (result[k] for k in ("rows_read", "rows_accepted", "rows_quarantined"))
    assert read == ok + quarantined
    if result["repeat"]:
        return
    eng = create_engine(url)
    with eng.connect() as conn:
        stored = conn.execute(
            text("SELECT count(DISTINCT row_number) FROM feed_reject WHERE ingest_id = :i"),
            {"i": result["id"]},
        ).scalar()
    eng.dispose()
    assert stored == quarantined
    lake = pq.read_table(Path(result["partition_path"]) / "part-0.parquet")
    assert lake.num_rows == ok
    spec = get_spec(source)
    for f in spec.fields:
        if f.kind in ("text", "resident_id", "code", "icd10"):
            for value in lake.column(f.name).to_pylist():
                assert value is None or (
                    not _CONTROL.search(value) and len(value) <= f.max_length
                ), (f.name, value)


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_random_bytes(use_db, tmp_path, data, suffix):
    _ingest(use_db, tmp_path, data, suffix)


@FUZZ
@example(case=("death", _csv() + b"\r\nS5," + "张".encode()[:2]))  # once printed a traceback
@given(
    case=st.one_of(
        mutated(_csv()).map(lambda d: ("death", d)),
        mutated(acceptance_bytes()).map(lambda d: ("hospital", d)),  # GB18030
    )
)
def test_mutated_csv(use_db, tmp_path, case):
    source, data = case
    _ingest(use_db, tmp_path, data, ".csv", source=source)


@FUZZ
@given(data=mutated_xlsx(xlsx_bytes([HEAD, *ROWS])))
def test_mutated_xlsx(use_db, tmp_path, data):
    _ingest(use_db, tmp_path, data, ".xlsx")


@FUZZ
@given(
    data=st.one_of(
        mutated(_parquet()),
        st.lists(st.lists(CELL_TEXT, min_size=4, max_size=4), max_size=8).map(_parquet),
    )
)
def test_mutated_parquet(use_db, tmp_path, data):
    _ingest(use_db, tmp_path, data, ".parquet")
