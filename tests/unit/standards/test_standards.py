"""Standards: the file rules, the import's quarantine and idempotence, list, and the CLI."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.db import unit_of_work
from safetynet.policy._money import CalcError
from safetynet.regions import service as regions_service
from safetynet.standards import service
from safetynet.standards.files import ImportRefused, builtin_standards, parse_file
from safetynet.standards.models import Standard, StandardImport, StandardReject

runner = CliRunner()
HEAD = "县区代码,城乡,种类,金额,起始日期,依据\n"
GOOD = (
    "620102,城镇,低保标准,770,2024-01-01,兰政发〔2023〕1号\n"
    "620102,城镇,dibao,800,2024/7/1,兰政发〔2024〕9号\n"
    "620102,农村,tekun,611.5,20240101,国发〔2016〕14号\n"
)
BAD = (
    "6201,城镇,dibao,770,2024-01-01,x\n"  # a prefecture, not a county
    "620102,乡下,dibao,770,2024-01-01,x\n"
    "620102,城镇,rent,770,2024-01-01,x\n"
    "620102,城镇,dibao,77.001,2024-01-01,x\n"
    "620102,城镇,homes,1.5,2024-01-01,x\n"
    "620102,城镇,dibao,-1,2024-01-01,x\n"
    "620102,城镇,dibao,770,2024-02-30,x\n"
    "620102,城镇,dibao,770,2024-03-01,\n"
    "620102,城镇,dibao,770,2024-01-01,again\n"  # duplicate of the first good row
    "629999,城镇,dibao,770,2024-01-01,x\n"  # well-formed, not in the division table
)


def _file(tmp_path: Path, body: str, name: str = "std.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding=encoding)
    return path


def test_parse_file_reasons(tmp_path: Path) -> None:
    parsed = parse_file(_file(tmp_path, GOOD + BAD, encoding="gb18030"))
    assert parsed.rows_read == 13
    assert [n for n, _r in parsed.accepted] == [1, 2, 3, 13]
    reasons = [(r.row_number, r.reason) for r in parsed.rejected]
    assert reasons == [
        (4, "county_format"), (5, "area"), (6, "kind"), (7, "amount"), (8, "amount_whole"),
        (9, "amount"), (10, "valid_from"), (11, "reference"), (12, "duplicate"),
    ]  # fmt: skip
    assert parsed.accepted[1][1].valid_from == date(2024, 7, 1)


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    assert parse_file(_file(tmp_path, "")).rows_read == 0  # a heading only: nothing to do
    (tmp_path / "b.csv").write_text("county_code,area\n620102,urban\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="missing required column"):
        parse_file(tmp_path / "b.csv")
    (tmp_path / "c.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ImportRefused, match="CSV"):
        parse_file(tmp_path / "c.json")
    with pytest.raises(ImportRefused, match="no such file"):
        parse_file(tmp_path / "missing.csv")


def test_builtin_set_covers_every_county_and_says_provisional() -> None:
    from safetynet.regions.builtin import builtin_divisions

    counties = {c for c, _n in builtin_divisions() if len(c) == 6}
    s = builtin_standards()
    assert {c for c, _u in s.areas()} == counties and len(s.areas()) == 2 * len(counties)
    assert all("PROVISIONAL" in r.reference for r in s.rows())
    std = s.resolve("620102", False, date(2024, 6, 1))
    assert (std.dibao, std.tekun, std.homes) == (Decimal("470.00"), Decimal("611.00"), 1)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.scalar(select(func.count()).select_from(t))
            for t in (Standard, StandardImport, StandardReject)
        )


def test_import_quarantine_and_idempotence(engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(engine) as session:
        regions_service.load_builtin(session=session)
    path = _file(tmp_path, GOOD + BAD)
    with unit_of_work(engine) as session:
        first = service.import_file(session=session, path=path, actor="t")
    assert (first.rows_read, first.accepted, first.rejected) == (13, 3, 10)
    assert (first.new, first.updated, first.unchanged, first.repeat) == (3, 0, 0, False)
    assert first.rejects[-1].reason == "county_unknown" and first.rejects[-1].value == "629999"
    assert _counts(engine) == (3, 1, 10)
    with unit_of_work(engine) as session:
        rejects = service.list_rejects(session=session, import_id=first.import_id)
    assert [r["row_number"] for r in rejects] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    # the same file again: a repeat, nothing changed
    with unit_of_work(engine) as session:
        again = service.import_file(session=session, path=path, actor="t")
    assert again.repeat and _counts(engine) == (3, 2, 10)
    # forced: checked again, every row unchanged
    with unit_of_work(engine) as session:
        forced = service.import_file(session=session, path=path, actor="t", force=True)
    assert (forced.new, forced.updated, forced.unchanged) == (0, 0, 3)
    # a corrected figure updates the row of the same key
    fixed = _file(tmp_path, "620102,城镇,dibao,780,2024-01-01,更正\n", name="fix.csv")
    with unit_of_work(engine) as session:
        fix = service.import_file(session=session, path=fixed, actor="t")
    assert (fix.new, fix.updated) == (0, 1)
    with unit_of_work(engine) as session:
        rows = service.list_standards(session=session, on=date(2024, 6, 30))
        later = service.list_standards(session=session, on=date(2024, 7, 1))
    dibao = {r["valid_from"]: r["amount"] for r in rows if r["kind"] == "dibao"}
    assert dibao == {date(2024, 1, 1): Decimal("780.00")}
    assert [r["amount"] for r in later if r["kind"] == "dibao"] == [Decimal("800.00")]


def test_failed_import_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(engine) as session:
        regions_service.load_builtin(session=session)
    path = _file(tmp_path, GOOD)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        service.import_file(session=session, path=path, actor="t")
        raise RuntimeError("the edge fails after the import")
    assert _counts(engine) == (0, 0, 0)


def test_load_set_refuses_an_empty_table(engine: Engine) -> None:
    with unit_of_work(engine) as session, pytest.raises(CalcError, match="no standards"):
        service.load_set(session=session)


def test_cli_import_list_and_check(use_db: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["regions", "import", "--builtin"]).exit_code == 0
    book = tmp_path / "std.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["county_code", "area", "kind", "amount", "valid_from", "reference"])
    ws.append(["620102", "urban", "dibao", 800, date(2024, 7, 1), "兰政发〔2024〕9号"])
    ws.append(["620102", "urban", "dibao", "abc", "2024-08-01", "x"])
    wb.save(book)
    out = runner.invoke(app, ["standards", "import", "--builtin", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["new"] == 1056
    out = runner.invoke(app, ["standards", "import", str(book), "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    assert (summary["new"], summary["rejected"]) == (1, 1)
    assert summary["rejects"][0]["reason"] == "amount"
    out = runner.invoke(
        app, ["standards", "list", "--county", "620102", "--date", "2024-07-01", "--json"]
    )
    rows = json.loads(out.stdout)
    assert len(rows) == 12
    assert [r["amount"] for r in rows if r["kind"] == "dibao" and r["area"] == "urban"] == [800]
    line = {
        "county": "620102", "urban": True, "date": "2024-07-01",
        "members": [{"resident_id": "620102199001010046", "income": {"wages": 9480}}],
    }  # fmt: skip
    out = runner.invoke(app, ["eligibility", "check"], input=json.dumps(line) + "\n")
    result = json.loads(out.stdout)
    assert result["decision"] == "dibao" and result["standard"]["dibao"] == 800
    out = runner.invoke(app, ["standards", "list"])
    assert out.exit_code == 0 and "1057 行 / rows" in out.stdout
    out = runner.invoke(app, ["standards", "list", "--county", "999999", "--json"])
    assert (out.exit_code, out.stdout) == (1, "")  # a county never stored: an error, not []
    assert "no standard is stored for county 999999" in " ".join(out.stderr.split())


def test_check_without_standards_is_a_clear_error(use_db: str) -> None:
    out = runner.invoke(app, ["eligibility", "check"], input="{}\n")
    assert out.exit_code == 1
    assert "no standards in the database" in out.stderr
