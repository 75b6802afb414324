"""Hostile registry files (issue 11): tiny XLSX with a far cell, zip bombs, NUL and control
characters, Alt+Enter line breaks, CSV errors that name the real row, a UTF-8 file cut in the
middle of a character, CR-only line endings, corrupt Parquet pages and the file-size limit."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlalchemy import text

from safetynet.config import get_settings
from safetynet.registry._reader import HEADINGS
from safetynet.registry.importer import ImportRefused, import_file
from tests.unit.hostile import (
    assert_clean_refusal,
    corrupt_parquet,
    far_cell_xml,
    run_cli,
    xlsx_bytes,
)
from tests.unit.registry.registry_helpers import rid, write_csv
from tests.unit.registry.test_import import acceptance_rows, dump

T = "620102901"
H = rid("19600101", 11)


def _state(engine) -> tuple:
    with engine.connect() as conn:
        imports = conn.execute(text("SELECT count(*) FROM registry_import")).scalar()
    return dump(engine), imports


def _xlsx(path, **kw):
    heads = list(HEADINGS.values())
    row = [H, "张三", H, "本人", T] + [None] * (len(heads) - 5)
    path.write_bytes(xlsx_bytes([heads, row], **kw))
    return path


# -- defect 2 ------------------------------------------------------------------------------


def test_tiny_xlsx_with_far_cell_is_refused_not_a_crash(use_db, tmp_path):
    path = _xlsx(tmp_path / "registry.xlsx", extra_xml=far_cell_xml("XFD1048576"))
    assert path.stat().st_size < 10_000
    proc = run_cli(["registry", "import", str(path)])
    assert_clean_refusal(proc, "nothing changed", "XFD1048576")


def test_sheet_limits_and_zip_bomb(regdb, tmp_path):
    before = _state(regdb)
    wide = _xlsx(tmp_path / "wide.xlsx", extra_xml=far_cell_xml("AN3"))  # 40 > 19 + 20
    declared = _xlsx(tmp_path / "declared.xlsx", dimension="A1:S20000000")
    bomb = _xlsx(tmp_path / "bomb.xlsx", extra_xml=" " * 30_000_000)
    for path, needle in ((wide, "AN3"), (declared, "20000000"), (bomb, "100")):
        with pytest.raises(ImportRefused, match=needle):
            import_file(engine=regdb, path=path)
    assert _state(regdb) == before
    fine = _xlsx(tmp_path / "fine.xlsx", extra_xml=far_cell_xml("AM3"))  # 39 columns: fine
    s = import_file(engine=regdb, path=fine)
    assert (s.rows_read, s.accepted) == (1, 1)


def test_file_size_limit(regdb, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "registry.csv", acceptance_rows()[:3])
    monkeypatch.setenv("SAFETYNET_MAX_FILE_BYTES", "100")
    get_settings.cache_clear()
    with pytest.raises(ImportRefused, match="100"):
        import_file(engine=regdb, path=path)


# -- defect 5 ------------------------------------------------------------------------------


def test_nul_and_control_characters_are_quarantined_line_breaks_become_spaces(regdb, tmp_path):
    base = {"township_code": T, "relation": "本人"}
    ids = [rid("19600101", n) for n in (11, 21, 31, 41)]
    rows = [
        {**base, "resident_id": ids[0], "head_resident_id": ids[0], "name": "张\x00三"},
        {**base, "resident_id": ids[1], "head_resident_id": ids[1], "name": "李四",
         "address": "城关区\r\n一号楼\n\n2单元"},
        {**base, "resident_id": ids[2], "head_resident_id": ids[2], "name": "王\x1b五"},
        {**base, "resident_id": ids[3], "head_resident_id": ids[3], "name": "赵六",
         "address": "x\x7fy"},
    ]  # fmt: skip
    s = import_file(engine=regdb, path=write_csv(tmp_path / "registry.csv", rows))
    assert (s.rows_read, s.accepted, s.rejected) == (4, 1, 3)
    with regdb.connect() as conn:
        addr = conn.execute(text("SELECT address FROM household")).scalars().all()
        got = conn.execute(
            text("SELECT row_number, field, value, reason_en FROM registry_reject ORDER BY 1")
        ).all()
    assert addr == ["城关区 一号楼 2单元"]
    assert [(r[0], r[1]) for r in got] == [(1, "name"), (3, "name"), (4, "address")]
    assert all("control character" in r[3] for r in got)
    assert got[0][2] == "张\\x00三"


# -- defect 11 -----------------------------------------------------------------------------


def test_csv_error_names_the_real_row_and_escapes_control_characters(regdb, tmp_path):
    path = write_csv(tmp_path / "registry.csv", acceptance_rows()[:5])
    lines = path.read_bytes().split(b"\r\n")
    lines[6] = lines[6] + b",extra\x00,\x1b[31mred"  # data row 6 has too many columns
    lines.insert(7, lines[1])
    path.write_bytes(b"\r\n".join(lines))
    before = _state(regdb)
    with pytest.raises(ImportRefused) as err:
        import_file(engine=regdb, path=path)
    message = str(err.value)
    assert "row 6" in message and "第 6 行" in message, message
    assert "\x00" not in message and "\x1b" not in message and "\\x00" in message, message
    assert _state(regdb) == before


def test_utf8_cut_in_the_middle_of_a_character_is_named(regdb, tmp_path):
    path = write_csv(tmp_path / "registry.csv", acceptance_rows()[:3])
    raw = path.read_bytes()
    path.write_bytes(raw[: raw.rindex("张".encode()) + 1])
    with pytest.raises(ImportRefused, match="cut") as err:
        import_file(engine=regdb, path=path)
    assert "unknown" not in str(err.value) and "neither" not in str(err.value)


# -- defect 6 (input side) -----------------------------------------------------------------


def test_cr_only_line_endings(use_db, regdb, tmp_path):
    path = write_csv(tmp_path / "registry.csv", acceptance_rows()[:3])
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    proc = run_cli(["registry", "import", str(path)])
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode == 1:
        assert "CR" in proc.stderr


def test_corrupt_parquet_page_is_refused(use_db, regdb, tmp_path):
    rows = acceptance_rows()[:3]
    table = pa.table({HEADINGS[f]: [r.get(f) for r in rows] for f in HEADINGS})
    path = corrupt_parquet(table, tmp_path / "registry.parquet")
    before = _state(regdb)
    with pytest.raises(ImportRefused, match="Parquet"):
        import_file(engine=regdb, path=path)
    assert _state(regdb) == before
    proc = run_cli(["registry", "import", str(path)])
    assert_clean_refusal(proc, "nothing changed", "Parquet")


def test_line_breaks_inside_quotes_across_read_blocks(regdb, tmp_path, monkeypatch):
    from safetynet.registry import _reader

    monkeypatch.setattr(_reader, "CSV_BLOCK", 4096)  # many block boundaries in a small file
    rows = [
        {"township_code": T, "relation": "本人", "resident_id": rid("19600101", n),
         "head_resident_id": rid("19600101", n), "name": "张三", "address": "一号楼\r\n2单元"}
        for n in range(1, 400)
    ]  # fmt: skip
    s = import_file(engine=regdb, path=write_csv(tmp_path / "registry.csv", rows))
    assert (s.rows_read, s.accepted, s.rejected) == (399, 399, 0)
    with regdb.connect() as conn:
        assert set(conn.execute(text("SELECT address FROM household")).scalars()) == {
            "一号楼 2单元"
        }
