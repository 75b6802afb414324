"""Fuzzing ``registry import`` with random bytes and random mutations of a valid CSV, XLSX and
Parquet file, on SQLite and PostgreSQL (see :mod:`tests.unit.fuzz_files` for the invariants)."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from safetynet.registry._reader import HEADINGS
from tests.unit.fuzz_files import CELL_TEXT, FUZZ, mutated, mutated_xlsx, run
from tests.unit.hostile import xlsx_bytes
from tests.unit.registry.test_import import acceptance_rows, dump

# An exception Python prints as "ignored" (with a traceback) fails the example too.
pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]

FIELDS = list(HEADINGS)
ROWS = [[r.get(f) or None for f in FIELDS] for r in acceptance_rows()]


def _csv() -> bytes:
    lines = [",".join(HEADINGS.values())]
    lines += [",".join(v or "" for v in row) for row in ROWS]
    return "\r\n".join(lines).encode("utf-8")


def _parquet(rows: list[list[object]] | None = None) -> bytes:
    data = rows if rows is not None else ROWS
    width = len(data[0]) if data else len(FIELDS)
    heads = list(HEADINGS.values())[:width]
    buf = io.BytesIO()
    pq.write_table(pa.table({h: [r[i] for r in data] for i, h in enumerate(heads)}), buf)
    return buf.getvalue()


def _state(engine) -> tuple:
    with engine.connect() as conn:
        imports = conn.execute(text("SELECT count(*) FROM registry_import")).scalar()
        rejects = conn.execute(text("SELECT count(*) FROM registry_reject")).scalar()
    return dump(engine), imports, rejects


def _import(engine, tmp_path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"registry{suffix}"
    path.write_bytes(data)
    before = _state(engine)
    code, out, err = run(["registry", "import", str(path), "--json", "--force"])
    if code == 1:
        assert "nothing changed" in err, err
        assert _state(engine) == before, "a refused file changed something"
        return
    s = json.loads(out)
    assert s["rows_read"] == s["accepted"] + s["rejected"]
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(DISTINCT row_number) FROM registry_reject WHERE import_id = :i"),
            {"i": s["import_id"]},
        ).scalar()
        names = conn.execute(text("SELECT name FROM person")).scalars().all()
    assert stored == s["rejected"]
    assert all("\x00" not in n and len(n) <= 50 for n in names)


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_random_bytes(regdb, use_db, tmp_path, data, suffix):
    _import(regdb, tmp_path, data, suffix)


@FUZZ
@given(data=mutated(_csv()))
def test_mutated_csv(regdb, use_db, tmp_path, data):
    _import(regdb, tmp_path, data, ".csv")


@FUZZ
@given(data=mutated_xlsx(xlsx_bytes([list(HEADINGS.values()), *ROWS])))
def test_mutated_xlsx(regdb, use_db, tmp_path, data):
    _import(regdb, tmp_path, data, ".xlsx")


@FUZZ
@given(
    data=st.one_of(
        mutated(_parquet()),
        st.lists(st.lists(CELL_TEXT, min_size=5, max_size=5), min_size=1, max_size=8).map(_parquet),
    )
)
def test_mutated_parquet(regdb, use_db, tmp_path, data):
    _import(regdb, tmp_path, data, ".parquet")
