"""Ingestion on both databases: the acceptance file, repeats, replacement, refusals, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from safetynet.feeds.service import ingest_file
from safetynet.feeds.specs import FeedRefused
from tests.unit.feeds.feeds_data import (
    GOOD,
    GOOD2,
    HOSPITAL_HEAD,
    acceptance_bytes,
    expected_rejects,
    ingest_log,
    quarantine,
    wrong_check,
)

runner = CliRunner()


def _cli(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _partition(source: str, month: str) -> Path:
    return get_settings().feed_partition(source, month) / "part-0.parquet"


def test_acceptance_file(engine, acceptance_file):
    r = ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)
    assert (r.encoding, r.rows_read, r.blank_lines) == ("gb18030", 10, 2)
    assert (r.rows_accepted, r.rows_quarantined) == (2, 8)
    assert r.rows_read == r.rows_accepted + r.rows_quarantined

    rejects = quarantine(engine, source="hospital", month="2024-01")
    got: dict[int, set[str]] = {}
    for row in rejects:
        got.setdefault(row["row_number"], set()).add(row["reason"])
        assert row["reason_zh"] and row["reason_en"]
    assert got == expected_rejects()
    by_reason = {row["reason"]: row for row in rejects}
    assert by_reason["id_check_digit"]["reason_zh"] == "身份证号校验位错误"
    assert by_reason["amount_negative"]["value"] == "-5.00"
    assert by_reason["date"]["field"] == "admission_date"
    assert by_reason["columns_short"]["value"].startswith("ZY009,")

    lake = pq.read_table(_partition("hospital", "2024-01")).to_pylist()
    assert [row["record_id"] for row in lake] == ["ZY002", "ZY003"]
    # 15 digits → 18: century 19 inserted and the check digit added; worked out by hand
    # (GB 11643, ISO 7064 MOD 11-2): Σ digit × weight over 62010219800101123 = 168,
    # 168 mod 11 = 3 → "10X98765432"[3] = "9"
    assert lake[0]["resident_id"] == "620102198001011239"
    assert lake[1]["resident_id"] == "11010519491231002X"  # lowercase x normalised
    assert lake[0]["icd10"] == "C34.1" and str(lake[0]["total_cost"]) == "500.00"
    assert [row["row_number"] for row in lake] == [2, 4]

    # The same file again: a repeat, lake and quarantine unchanged.
    before = _partition("hospital", "2024-01").read_bytes()
    again = ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)
    assert again.repeat and again.id != r.id
    assert _partition("hospital", "2024-01").read_bytes() == before
    assert quarantine(engine, source="hospital", month="2024-01") == rejects
    log = ingest_log(engine, source="hospital")
    assert [row["repeat"] for row in log] == [True, False]
    assert log[0]["rows_read"] == log[0]["rows_accepted"] + log[0]["rows_quarantined"]


def test_new_file_replaces_partition_and_quarantine(engine, acceptance_file, tmp_path):
    ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)
    clean = tmp_path / "fixed.csv"
    clean.write_text(
        HOSPITAL_HEAD + f"\nZY100,{GOOD},张三,2024-01-05,,兰州大学第一医院,I63.9,10,,,,\n",
        encoding="utf-8-sig",
    )
    r = ingest_file(engine=engine, source="hospital", month="2024-01", path=clean, actor="王科长")
    assert (r.rows_read, r.rows_accepted, r.repeat, r.actor) == (1, 1, False, "王科长")
    assert r.encoding == "utf-8-sig"
    assert pq.read_table(_partition("hospital", "2024-01")).column("record_id").to_pylist() == [
        "ZY100"
    ]
    assert quarantine(engine, source="hospital", month="2024-01") == []
    # Back to the first file: not a repeat (the partition holds another file now).
    back = ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)
    assert not back.repeat and back.rows_quarantined == 8


def test_unreadable_file_is_refused_and_nothing_changes(engine, acceptance_file, tmp_path):
    ingest_file(engine=engine, source="hospital", month="2024-01", path=acceptance_file)
    before = _partition("hospital", "2024-01").read_bytes()
    no_id = tmp_path / "no_id.csv"
    no_id.write_text(
        "住院号,姓名,入院日期,医疗机构,诊断编码,总费用\nZY1,张三,2024-01-05,医院,I10,1\n"
    )
    with pytest.raises(FeedRefused, match="身份证号"):
        ingest_file(engine=engine, source="hospital", month="2024-01", path=no_id)
    junk = tmp_path / "hospital.parquet"
    junk.write_bytes(b"not parquet at all")
    with pytest.raises(FeedRefused, match="parquet"):
        ingest_file(engine=engine, source="hospital", month="2024-01", path=junk)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("caf\xe9,\xe0\n1,2\n".encode("latin-1"))
    with pytest.raises(FeedRefused, match="编码"):
        ingest_file(engine=engine, source="hospital", month="2024-01", path=latin)
    assert _partition("hospital", "2024-01").read_bytes() == before
    assert len(ingest_log(engine)) == 1
    assert not list(_partition("hospital", "2024-01").parent.parent.glob(".tmp-*"))


def test_mixed_encoding_deep_in_file_is_refused(engine, tmp_path):
    good = f"ZY1,{GOOD},张三,2024-01-05,,医院,I10,1,,,,\n"
    body = HOSPITAL_HEAD + "\n" + good * 40_000  # past the detection sample and a block
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        body.encode("utf-8") + f"ZY2,{GOOD2},李四,2024-01-05,,医院,I10,1,,,,\n".encode("gbk")
    )
    with pytest.raises(FeedRefused, match="UTF-8"):
        ingest_file(engine=engine, source="hospital", month="2024-01", path=path)
    assert ingest_log(engine) == []
    assert not _partition("hospital", "2024-01").exists()


def test_disease_major_flag(engine, tmp_path):
    from safetynet.parameters import default_parameters

    prefixes = default_parameters().get("medical.major_diseases.icd10_prefixes", "2024-01-31")
    major = str(prefixes[0]).replace(".", "")
    major = major[:3] + "." + (major[3:] or "0")
    path = tmp_path / "disease.csv"
    path.write_bytes(
        (
            "登记编号,身份证号,姓名,诊断编码,疾病名称,登记日期\n"
            f"M1,{GOOD},张三,{major},重大疾病,2024-01-05\n"
            f"M2,{GOOD2},李四,Z99.9,其他,2024-01-06\n"
            f"M3,{GOOD2},王五,Z99.9,其他,2024-02-06\n"  # after the reporting month
        ).encode("gb18030")
    )
    r = ingest_file(engine=engine, source="disease", month="2024-01", path=path)
    assert (r.rows_accepted, r.rows_quarantined) == (2, 1)
    lake = pq.read_table(_partition("disease", "2024-01"))
    assert lake.column("major_disease").to_pylist() == [True, False]
    reasons = {x["reason"] for x in quarantine(engine, source="disease", month="2024-01")}
    assert reasons == {"date_after_month"}


def test_cli_round_trip(use_db, tmp_path, acceptance_file, monkeypatch):
    out = _cli("feeds", "ingest", "--source", "hospital", "--month", "2024-01",
               str(acceptance_file), "--actor", "tester", "--json")  # fmt: skip
    assert out["rows_read"] == out["rows_accepted"] + out["rows_quarantined"] == 10
    assert out["actor"] == "tester"
    listed = _cli("feeds", "list", "--json")
    assert listed[0]["file_sha256"] == out["file_sha256"] and listed[0]["repeat"] is False
    rejects = _cli("feeds", "rejects", "--source", "hospital", "--month", "2024-01", "--json")
    assert len({r["row_number"] for r in rejects}) == 8
    xlsx = tmp_path / "q.xlsx"
    _cli("feeds", "rejects", "--source", "hospital", "--month", "2024-01", "--xlsx", str(xlsx))
    ws = load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "行号 / row" and len(rows) == len(rejects) + 1
    assert any(r[5] == "身份证号校验位错误" and r[6] == "wrong check digit" for r in rows)
    bad = wrong_check("62010219800101123")
    assert any(bad in str(r) for r in rows)  # the export keeps full values for correction
    # the table on screen masks them, in ID fields and in quoted whole lines alike
    from safetynet.cli._common import console

    monkeypatch.setattr(console, "width", 400)  # one line per row: nothing hides in wrapping
    shown = _cli("feeds", "rejects", "--source", "hospital", "--month", "2024-01")
    assert isinstance(shown, str) and bad[:6] + "********" + bad[14:] in shown
    assert bad not in shown and GOOD not in shown and GOOD[:6] + "********" in shown

    bad = runner.invoke(
        app, ["feeds", "ingest", "-s", "hospital", "-m", "2024-13", str(acceptance_file)]
    )
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_ingest_dir(use_db, tmp_path):
    month = tmp_path / "feeds" / "2024-03"
    month.mkdir(parents=True)
    (month / "death.csv").write_bytes(
        f"死亡证明编号,身份证号,姓名,死亡日期\nS1,{GOOD},张三,2024-03-02\n".encode("utf-8-sig")
    )
    (month / "unemployment.csv").write_text(
        f"登记编号,身份证号,姓名,失业登记日期\nU1,{GOOD2},李四,2024/3/5\n", encoding="utf-8"
    )
    (month / "notes.txt").write_text("ignored")
    result = runner.invoke(app, ["feeds", "ingest-dir", str(month), "--json"])
    data = json.loads(result.stdout)
    assert sorted(r["source"] for r in data["results"]) == ["death", "unemployment"]
    assert all(r["month"] == "2024-03" and r["rows_accepted"] == 1 for r in data["results"])
    assert result.exit_code == 1 and "notes.txt" in data["problems"][0]
    lake = pq.read_table(_partition("unemployment", "2024-03"))
    assert str(lake.column("registration_date")[0]) == "2024-03-05"


def test_demo_step(use_db, tmp_path):
    from safetynet.cli.feeds import demo_step

    month = tmp_path / "synth" / "feeds" / "2024-01"
    month.mkdir(parents=True)
    (month / "hospital.csv").write_bytes(acceptance_bytes())
    demo_step(tmp_path / "synth")
    assert _partition("hospital", "2024-01").exists()
