"""Hostile feed files (issue 11): tiny XLSX with a far cell, zip bombs, oversized sheets, NUL
and control characters, Alt+Enter line breaks, over-long fields, CR-only line endings, corrupt
Parquet pages, file-size limits and links in a month folder."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from safetynet.config import get_settings
from safetynet.feeds.service import ingest_file
from safetynet.feeds.specs import FeedRefused
from tests.unit.feeds.feeds_data import GOOD, GOOD2, acceptance_bytes, ingest_log, quarantine
from tests.unit.hostile import (
    assert_clean_refusal,
    corrupt_parquet,
    far_cell_xml,
    run_cli,
    xlsx_bytes,
)

DEATH_HEAD = ["死亡证明编号", "身份证号", "姓名", "死亡日期"]


def _lake(source: str = "death", month: str = "2024-01") -> list[dict]:
    path = get_settings().feed_partition(source, month) / "part-0.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else []


def _reasons(engine, source: str = "death") -> dict[int, set[str]]:
    got: dict[int, set[str]] = {}
    for r in quarantine(engine, source=source, month="2024-01"):
        got.setdefault(r["row_number"], set()).add(r["reason"])
    return got


def _state(engine) -> tuple:
    with engine.connect() as conn:
        ingests = conn.execute(text("SELECT count(*) FROM feed_ingest")).scalar()
        rejects = conn.execute(text("SELECT count(*) FROM feed_reject")).scalar()
    lake = get_settings().lake / "feeds"
    # the lock file of a partition stays once created (see feeds.lake.partition_lock)
    files = sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.suffix != ".lock")
    files = [f for f in files if f != "death"] if lake.exists() else []
    return ingests, rejects, files


def _death_xlsx(path: Path, **kw) -> Path:
    rows = [DEATH_HEAD, ["S1", GOOD, "张三", "2024-01-02"]]
    path.write_bytes(xlsx_bytes(rows, **kw))
    return path


# -- defect 2: a tiny XLSX must not abort the importer; sheet and zip limits -------------------


def test_tiny_xlsx_with_far_cell_is_refused_not_a_crash(use_db, tmp_path):
    path = _death_xlsx(tmp_path / "death.xlsx", extra_xml=far_cell_xml("XFD1048576"))
    assert path.stat().st_size < 10_000
    proc = run_cli(["feeds", "ingest", "-s", "death", "-m", "2024-01", str(path)])
    assert_clean_refusal(proc, "nothing changed", "XFD1048576")


def test_declared_dimension_beyond_the_limits_is_refused(engine, tmp_path):
    path = _death_xlsx(tmp_path / "death.xlsx", dimension="A1:XFD1048576")
    before = _state(engine)
    with pytest.raises(FeedRefused, match="XFD1048576"):
        ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert _state(engine) == before


def test_sheet_width_and_height_limits(engine, tmp_path, monkeypatch):
    # death has 4 columns: a value in column Y (25) is beyond 4 + 20
    wide = _death_xlsx(tmp_path / "wide.xlsx", extra_xml=far_cell_xml("Y3"))
    with pytest.raises(FeedRefused, match="Y3"):
        ingest_file(engine=engine, source="death", month="2024-01", path=wide)
    ok = _death_xlsx(tmp_path / "ok.xlsx", extra_xml=far_cell_xml("X3"))  # 24 columns: fine
    r = ingest_file(engine=engine, source="death", month="2024-01", path=ok)
    assert r.rows_read == r.rows_accepted + r.rows_quarantined == 1  # row 3 is blank for the spec
    monkeypatch.setenv("SAFETYNET_MAX_SHEET_ROWS", "100")
    get_settings.cache_clear()
    rows = [DEATH_HEAD] + [[f"S{i}", GOOD, "张三", "2024-01-02"] for i in range(150)]
    tall = tmp_path / "tall.xlsx"
    tall.write_bytes(xlsx_bytes(rows))
    with pytest.raises(FeedRefused, match="100"):
        ingest_file(engine=engine, source="death", month="2024-02", path=tall)


def test_zip_bomb_is_refused_before_decompressing(engine, tmp_path):
    # 30 MB of whitespace inside the sheet compresses about 1000 : 1
    path = _death_xlsx(tmp_path / "death.xlsx", extra_xml=" " * 30_000_000)
    assert path.stat().st_size < 300_000
    before = _state(engine)
    with pytest.raises(FeedRefused, match="100"):
        ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert _state(engine) == before


def test_zip_member_larger_than_declared_is_refused(engine, tmp_path):
    good = _death_xlsx(tmp_path / "good.xlsx")
    src = zipfile.ZipFile(good)
    path = tmp_path / "death.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
    # shrink the declared size of the sheet in both headers: the real data is larger
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml")
    real = info.file_size.to_bytes(4, "little")
    fake = (10).to_bytes(4, "little")
    assert raw.count(real) >= 2
    path.write_bytes(bytes(raw).replace(real, fake))
    with pytest.raises(FeedRefused):
        ingest_file(engine=engine, source="death", month="2024-01", path=path)


def test_file_size_limit(engine, tmp_path, monkeypatch, acceptance_file):
    monkeypatch.setenv("SAFETYNET_MAX_FILE_BYTES", "100")
    get_settings.cache_clear()
    with pytest.raises(FeedRefused, match="100"):
        ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)


# -- defect 5: NUL anywhere, Alt+Enter line breaks, other control characters ------------------


def test_nul_deep_in_the_file_is_quarantined_on_both_databases(engine, tmp_path):
    lines = ["死亡证明编号,身份证号,姓名,死亡日期"]
    filler = "x" * 200
    lines += [f"F{i},{GOOD},张三{filler},2024-01-02" for i in range(6000)]  # ~1.5 MB
    lines.append(f"N1,{GOOD2},张\x00三,2024-01-03")
    lines.append(f"N2,{GOOD2},李四,2024-01-03")
    path = tmp_path / "death.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    assert path.stat().st_size > (1 << 20)
    r = ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert r.rows_read == r.rows_accepted + r.rows_quarantined
    assert "张\x00三" not in {row["name"] for row in _lake()}
    rejects = quarantine(engine, source="death", month="2024-01")
    (nul,) = [x for x in rejects if x["record_id"] == "N1"]
    assert (nul["row_number"], nul["field"], nul["reason"]) == (6001, "name", "control_char")
    assert "\x00" not in nul["value"] and "\\x00" in nul["value"]


def test_line_breaks_become_one_space_other_controls_quarantine(engine, tmp_path):
    body = (
        "死亡证明编号,身份证号,姓名,死亡日期\r\n"
        f'S1,{GOOD},"张\r\n三",2024-01-02\r\n'
        f'S2,{GOOD2},"李\n\n四",2024-01-02\r\n'
        f"S3,{GOOD2},王\x07五,2024-01-02\r\n"
        f"S4\x1b[2J,{GOOD2},赵六,2024-01-02\r\n"
        f"S5,{GOOD2},钱\u0085七,2024-01-02\r\n"
    )
    path = tmp_path / "death.csv"
    path.write_bytes(body.encode("utf-8"))
    r = ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (5, 2, 3)
    assert [row["name"] for row in _lake()] == ["张 三", "李 四"]
    assert _reasons(engine) == {3: {"control_char"}, 4: {"control_char"}, 5: {"control_char"}}


def test_alt_enter_in_an_xlsx_cell_becomes_one_space(engine, tmp_path):
    rows = [DEATH_HEAD, ["S1", GOOD, "张\n三", "2024-01-02"]]
    # Excel writes a control character in a cell as _xHHHH_
    bell = (
        f'<row r="3"><c r="A3" t="inlineStr"><is><t>S2</t></is></c><c r="B3" t="inlineStr"><is>'
        f'<t>{GOOD2}</t></is></c><c r="C3" t="inlineStr"><is><t>李_x0001_四</t></is></c>'
        '<c r="D3" t="inlineStr"><is><t>2024-01-02</t></is></c></row>'
    )
    path = tmp_path / "death.xlsx"
    path.write_bytes(xlsx_bytes(rows, extra_xml=bell))
    r = ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert (r.rows_accepted, r.rows_quarantined) == (1, 1)
    assert _lake()[0]["name"] == "张 三"


# -- defect 7: every feed field has a maximum length -----------------------------------------


def test_over_long_fields_are_quarantined_with_the_reason(engine, tmp_path):
    rows = [
        ("S1", GOOD, "张" * 50, "2024-01-02"),  # 50 characters: fine
        ("S2", GOOD, "张" * 51, "2024-01-02"),
        ("R" * 65, GOOD2, "李四", "2024-01-02"),
        ("S4", GOOD2, "王五", "2024-01-02" + " " * 40 + "x"),
        ("S5", "6" * 5_000_000, "赵六", "2024-01-02"),
    ]
    path = tmp_path / "death.csv"
    lines = [",".join(DEATH_HEAD)] + [",".join(r) for r in rows]
    path.write_bytes("\n".join(lines).encode("utf-8"))
    r = ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert (r.rows_accepted, r.rows_quarantined) == (1, 4)
    rejects = quarantine(engine, source="death", month="2024-01")
    by_row = {x["row_number"]: x for x in rejects}
    assert {n: x["reason"] for n, x in by_row.items()} == dict.fromkeys((2, 3, 4, 5), "too_long")
    assert by_row[2]["field"] == "name" and "50" in by_row[2]["reason_en"]
    assert by_row[3]["field"] == "record_id" and "64" in by_row[3]["reason_en"]
    assert by_row[5]["field"] == "resident_id" and len(by_row[5]["value"]) <= 500
    assert len(rejects) == 4  # one reason per over-long value, not also id_format etc.


def test_every_spec_field_has_a_maximum_length():
    from safetynet.feeds.specs import SPECS

    for spec in SPECS.values():
        for f in spec.fields:
            assert f.max_length and f.max_length <= 1000, (spec.source, f.name)
        assert spec.field("name").max_length == 50
        assert spec.field("record_id").max_length == 64
    level = SPECS["university"].field("level")
    assert level.max_length == max(len(k) for k in level.codes)


# -- defect 6 (input side): CR-only line endings and corrupt Parquet pages --------------------


def test_cr_only_line_endings_get_a_message(use_db, tmp_path):
    path = tmp_path / "death.csv"
    path.write_bytes(f"死亡证明编号,身份证号,姓名,死亡日期\rS1,{GOOD},张三,2024-01-02\r".encode())
    proc = run_cli(["feeds", "ingest", "-s", "death", "-m", "2024-01", str(path)])
    assert_clean_refusal(proc, "nothing changed", "CR")


def test_corrupt_parquet_page_is_refused_and_nothing_changes(engine, tmp_path, acceptance_file):
    ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)
    before = _state(engine)
    table = pa.table(
        {"死亡证明编号": [f"S{i}" for i in range(1000)], "身份证号": [GOOD] * 1000,
         "姓名": ["张三"] * 1000, "死亡日期": ["2024-01-02"] * 1000}
    )  # fmt: skip
    path = corrupt_parquet(table, tmp_path / "death.parquet")
    with pytest.raises(FeedRefused, match="Parquet"):
        ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert _state(engine) == before


def test_corrupt_parquet_page_cli_message(use_db, tmp_path):
    table = pa.table(
        {"死亡证明编号": ["S1"], "身份证号": [GOOD], "姓名": ["张三"], "死亡日期": ["2024-01-02"]}
    )
    path = corrupt_parquet(table, tmp_path / "death.parquet")
    proc = run_cli(["feeds", "ingest", "-s", "death", "-m", "2024-01", str(path)])
    assert_clean_refusal(proc, "nothing changed", "Parquet")


# -- defect 10: ingest-dir reads only regular files inside the folder ------------------------


def test_ingest_dir_skips_links_fifos_and_folders_and_says_why(use_db, tmp_path):
    from typer.testing import CliRunner

    from safetynet.cli.main import app

    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("死亡证明编号,身份证号,姓名,死亡日期\nTOP-SECRET-LINE\n", encoding="utf-8")
    month = tmp_path / "2024-01"
    month.mkdir()
    (month / "hospital.csv").write_bytes(acceptance_bytes())
    (month / "death.csv").symlink_to(secret)
    (month / "disease.csv").symlink_to(tmp_path / "missing.csv")
    os.mkfifo(month / "university.csv")
    (month / "relapse.csv").mkdir()
    result = CliRunner().invoke(app, ["feeds", "ingest-dir", str(month), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [r["source"] for r in data["results"]] == ["hospital"]
    problems = "\n".join(data["problems"])
    assert "TOP-SECRET" not in result.output
    for name, why in (
        ("death.csv", "symbolic link"),
        ("disease.csv", "dangling"),
        ("university.csv", "not a regular file"),
        ("relapse.csv", "folder"),
    ):
        assert any(name in p and why in p for p in data["problems"]), problems
    assert ingest_log(_engine(), source="death") == []


def _engine():
    from safetynet.db import make_engine

    return make_engine()


# -- found by fuzzing: a malformed line that is not UTF-8 printed pyarrow's traceback ---------


def test_utf8_file_cut_inside_a_short_last_line_is_quarantined(use_db, tmp_path):
    path = tmp_path / "death.csv"
    body = f"死亡证明编号,身份证号,姓名,死亡日期\nS1,{GOOD},张三,2024-01-02\nS2,".encode()
    path.write_bytes(body + "张".encode()[:2])
    proc = run_cli(["feeds", "ingest", "-s", "death", "-m", "2024-01", str(path), "--json"])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["rows_read"], result["rows_accepted"], result["rows_quarantined"]) == (2, 1, 1)


def test_malformed_line_with_bytes_that_are_not_utf8_deep_in_the_file(use_db, tmp_path):
    path = tmp_path / "death.csv"
    good = f"S1,{GOOD},张三,2024-01-02\n".encode() * 40_000  # past the 1 MiB sample
    path.write_bytes("死亡证明编号,身份证号,姓名,死亡日期\n".encode() + good + b"S2,\xe4\xb8\n")
    proc = run_cli(["feeds", "ingest", "-s", "death", "-m", "2024-01", str(path)])
    assert_clean_refusal(proc, "nothing changed", "undecodable")


def test_line_breaks_inside_quotes_across_read_blocks(engine, tmp_path, monkeypatch):
    from safetynet.feeds import _csv

    monkeypatch.setattr(_csv, "CSV_BLOCK", 4096)  # many block boundaries in a small file
    lines = ["死亡证明编号,身份证号,姓名,死亡日期"]
    lines += [f'S{i},{GOOD},"张\n三",2024-01-02' for i in range(2000)]
    path = tmp_path / "death.csv"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    r = ingest_file(engine=engine, source="death", month="2024-01", path=path)
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined) == (2000, 2000, 0)
    assert {row["name"] for row in _lake()} == {"张 三"}
    assert [row["row_number"] for row in _lake()][-1] == 2000
