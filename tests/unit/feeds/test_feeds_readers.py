"""Readers, specs, templates and the vectorised parsers (no database)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.feeds._vector import AMOUNT_ERRORS, parse_amounts, parse_dates
from safetynet.feeds.readers import open_feed
from safetynet.feeds.specs import SOURCES, FeedRefused, get_spec
from safetynet.feeds.validate import lake_schema, validate_batch
from tests.unit.feeds.feeds_data import GOOD, GOOD2, HOSPITAL_HEAD

runner = CliRunner()


def _read_all(source: str, path: Path) -> tuple[pa.Table, pa.Table, int]:
    spec = get_spec(source)
    reader = open_feed(spec, path)
    tables, rejects, blank = [], [], 0
    for raw in reader.batches:
        out = validate_batch(spec, raw.table, month="2024-01", today=date(2025, 1, 1))
        tables.append(out.accepted)
        rejects += [out.rejects, raw.malformed]
        blank += out.blank + raw.blank
    return pa.concat_tables(tables), pa.concat_tables(rejects), blank


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "death.csv"
    path.write_bytes(
        f"死亡证明编号,身份证号,姓名,死亡日期\nS1,{GOOD},张三,2024-01-02\n".encode(encoding)
    )
    reader = open_feed(get_spec("death"), path)
    assert reader.encoding == {"gbk": "gb18030"}.get(encoding, encoding)
    accepted, rejects, _ = _read_all("death", path)
    assert accepted.column("name").to_pylist() == ["张三"] and rejects.num_rows == 0


def test_refuses_rather_than_guess(tmp_path):
    path = tmp_path / "death.csv"  # Big5 bytes are not UTF-8, and as GB18030 the headings are wrong
    path.write_bytes(
        f"死亡證明編號,身份證號,姓名,死亡日期\nS1,{GOOD},張三,2024-01-02\n".encode("big5")
    )
    with pytest.raises(FeedRefused, match="编码"):
        open_feed(get_spec("death"), path)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(FeedRefused, match=r"\.xls"):
        open_feed(get_spec("death"), tmp_path / "old.xls")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(FeedRefused, match="unsupported"):
        open_feed(get_spec("death"), tmp_path / "x.json")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FeedRefused, match="empty"):
        open_feed(get_spec("death"), tmp_path / "empty.csv")


def test_truncated_multibyte_tail_is_quarantined(tmp_path):
    body = f"死亡证明编号,身份证号,姓名,死亡日期\nS1,{GOOD},张三,2024-01-02\nS2,{GOOD2},李四,2024-01-03"
    raw = body.encode("gb18030")
    path = tmp_path / "death.csv"
    cut = raw.index("李".encode("gb18030")) + 1  # in the middle of a two-byte character
    path.write_bytes(raw[:cut])
    accepted, rejects, _ = _read_all("death", path)
    assert accepted.column("record_id").to_pylist() == ["S1"]
    assert set(rejects.column("reason").to_pylist()) <= {"encoding", "columns_short"}
    assert rejects.column("row_number").to_pylist() == [2]


def test_xlsx_reader(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["残疾人证号", "身份证号", "姓名", "残疾类别", "残疾等级", "发证日期", "备注"])
    ws.append(["C1", GOOD, "张三", "肢体", "二级", date(2024, 1, 3), "x"])
    ws.append([None, None, None, None, None, None, None])  # blank row
    ws.append(["C2", GOOD2, "李四", "visual", 4, "2024-01-04", None])
    ws.append(["C3", GOOD2, "王五", "嗅觉", 5, "2024-01-04", None])
    path = tmp_path / "disability.xlsx"
    wb.save(path)
    reader = open_feed(get_spec("disability"), path)
    assert reader.format == "xlsx" and reader.extra_columns == ["备注"]
    accepted, rejects, blank = _read_all("disability", path)
    assert accepted.column("disability_type").to_pylist() == ["physical", "visual"]
    assert accepted.column("grade").to_pylist() == [2, 4]
    assert str(accepted.column("issue_date")[0]) == "2024-01-03"
    assert accepted.column("row_number").to_pylist() == [1, 3]
    assert blank == 1
    assert sorted(rejects.column("field").to_pylist()) == ["disability_type", "grade"]
    assert set(rejects.column("row_number").to_pylist()) == {4}


def test_parquet_reader_typed_and_text(tmp_path):
    typed = pa.table(
        {
            "考生号": ["K1", "K2"],
            "身份证号": [GOOD, GOOD2],
            "姓名": ["张三", "李四"],
            "录取院校": ["兰州大学", "西北师范大学"],
            "层次": pa.array(["本科", "高职"]).dictionary_encode(),
            "录取日期": pa.array([date(2024, 1, 5), None], pa.date32()),
            "学费": pa.array([5000.0, -1.0]),
        }
    )
    path = tmp_path / "university.parquet"
    pq.write_table(typed, path)
    accepted, rejects, _ = _read_all("university", path)
    assert accepted.schema == lake_schema(get_spec("university"))
    assert accepted.column("level").to_pylist() == ["undergraduate"]
    assert str(accepted.column("tuition")[0]) == "5000.00"
    assert set(rejects.column("reason").to_pylist()) == {"missing", "amount_negative"}


def test_csv_row_numbers_skip_blank_and_malformed_lines(tmp_path):
    lines = [
        HOSPITAL_HEAD,
        f"H1,{GOOD},甲,2024-01-05,,医院,I10,1,,,,",
        ",,,,,,,,,,,",
        "H2,too,few",
        "",
        f"H3,{GOOD},丙,2024-01-05,,医院,I10,1,,,,,extra",
        f'H4,{GOOD},丁,2024-01-05,,"医院,分院",I10,1,,,,',
    ]
    path = tmp_path / "h.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    accepted, rejects, blank = _read_all("hospital", path)
    assert accepted.column("row_number").to_pylist() == [1, 6]
    assert accepted.column("hospital").to_pylist()[1] == "医院,分院"
    assert dict(
        zip(
            rejects.column("row_number").to_pylist(),
            rejects.column("reason").to_pylist(),
            strict=True,
        )
    ) == {3: "columns_short", 5: "columns_long"}
    assert blank == 2


def test_spec_json_and_template_round_trip(use_db, tmp_path):
    for source in SOURCES:
        out = runner.invoke(app, ["feeds", "spec", "--source", source, "--json"])
        spec = json.loads(out.stdout)
        assert spec["source"] == source
        headings = [f["heading"] for f in spec["fields"]]
        assert headings == get_spec(source).headings
        for suffix in (".csv", ".xlsx"):
            template = tmp_path / f"{source}{suffix}"
            assert (
                runner.invoke(
                    app, ["feeds", "template", "-s", source, "--out", str(template)]
                ).exit_code
                == 0
            )
            done = runner.invoke(
                app, ["feeds", "ingest", "-s", source, "-m", "2024-01", str(template), "--json"]
            )
            assert done.exit_code == 0, done.output
            result = json.loads(done.stdout)
            assert (result["rows_read"], result["rows_accepted"], result["rows_quarantined"]) == (
                0,
                0,
                0,
            )
    level = next(
        f
        for f in json.loads(
            runner.invoke(app, ["feeds", "spec", "-s", "university", "--json"]).stdout
        )["fields"]
        if f["field"] == "level"
    )
    assert level["allowed_codes"] == ["undergraduate", "college", "higher_vocational", "secondary"]
    assert level["code_map"]["本科"] == "undergraduate" and level["required"] is True
    assert runner.invoke(app, ["feeds", "spec", "-s", "nope"]).exit_code != 0


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(["-", "/", ".", ""]),
)
def test_parse_dates_matches_calendar(day, sep):
    text = day.strftime(f"%Y{sep}%m{sep}%d")
    days, ok = parse_dates(pa.array([text]))
    assert ok[0] and date(1970, 1, 1) + timedelta(days=int(days[0])) == day


@given(st.integers(1900, 2100), st.integers(0, 13), st.integers(0, 32))
def test_parse_dates_rejects_impossible(year, month, day):
    try:
        expected: date | None = date(year, month, day)
    except ValueError:
        expected = None
    _days, ok = parse_dates(pa.array([f"{year:04d}-{month:02d}-{day:02d}"]))
    assert bool(ok[0]) == (expected is not None)


@given(st.integers(0, 10**12), st.integers(0, 2))
def test_parse_amounts_round_trip(fen, decimals):
    text = f"{fen // 100}" if decimals == 0 else f"{fen / 100:.{decimals}f}"
    out, err = parse_amounts(pa.array([text]))
    assert AMOUNT_ERRORS[err[0]] == ""
    assert out[0] == round(float(text) * 100)
