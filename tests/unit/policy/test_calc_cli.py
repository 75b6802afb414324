"""``safetynet calc``: the JSON-lines contracts, the grants workbook and the premium totals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.db import unit_of_work
from safetynet.regions import service as regions_service

runner = CliRunner()


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_medical_contract_examples_and_bad_lines() -> None:
    stdin = "\n".join(
        [
            '{"group":"dibao","oop":25000,"major_disease":false,"year":2024}',
            "not json",
            '{"group":"ill_impoverished","oop":5000,"major_disease":false,"year":2024}',
            '{"group":"dibao","oop":25000,"major_disease":false,"year":2023}',
            '{"group":"tekun","oop":100000.55,"major_disease":true,"year":2024,"dibao_class":null}',
            "",
            '{"group":"dibao","oop":"12.345","year":2024}',
        ]
    )
    result = runner.invoke(app, ["calc", "medical"], input=stdin)
    assert result.exit_code == 0, result.output
    out = _lines(result.stdout)
    assert len(out) == 6
    first = out[0]
    assert set(first) == {
        "premium_subsidy",
        "assistance",
        "second_round",
        "self_pay",
        "parameter_version",
        "explanation",
    }
    assert (first["assistance"], first["second_round"], first["self_pay"]) == (17500, 1050, 6450)
    assert first["premium_subsidy"] is None and first["explanation"]
    assert list(out[1]) == ["error"]
    assert (out[2]["assistance"], out[2]["second_round"], out[2]["self_pay"]) == (0, 0, 5000)
    assert "2023" in out[3]["error"]
    assert out[4] | {"explanation": None, "parameter_version": None} == {
        "premium_subsidy": 380,
        "assistance": 80000,
        "second_round": 9800.39,
        "self_pay": 10200.16,
        "parameter_version": None,
        "explanation": None,
    }
    assert "两位小数" in out[5]["error"]


def test_business_lines() -> None:
    stdin = "\n".join(
        [
            '{"id": 1, "kind":"subsidy","categories":["dibao"],"first_business":true,'
            '"registered_on":"2023-01-10","operating":true,"on":"2024-03-01"}',
            '{"kind":"loan","borrower":"individual","categories":["dibao"],"amount":300000,'
            '"term_months":36,"annual_rate":0.0345,"on":"2024-03-01"}',
            '{"kind":"loan"}',
        ]
    )
    result = runner.invoke(app, ["calc", "business"], input=stdin)
    assert result.exit_code == 0
    a, b, c = _lines(result.stdout)
    assert a["id"] == 1 and a["eligible"] is True and a["amount"] == 5000
    assert b["eligible"] is True and b["interest_subsidy"] == 18000
    assert "error" in c


def _students(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["学号", "姓名", "身份证号", "困难等级", "家庭身份"])
    ws.append(["S1", "甲", "11010519491231002x", "特别困难", ""])
    ws.append(["S2", "乙", "", "困难", ""])
    ws.append(["S3", "丙", "", "困难", "低保"])
    wb.save(path)


def test_grants_xlsx_roundtrip(tmp_path: Path) -> None:
    src, out = tmp_path / "list.xlsx", tmp_path / "out" / "alloc.xlsx"
    _students(src)
    args = [
        "calc",
        "grants",
        str(src),
        "--school-type",
        "undergraduate",
        "--funded",
        "2",
        "--out",
        str(out),
        "--year",
        "2024",
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["total"], summary["budget"], summary["downgraded"]) == (6500, 6600, 1)
    sheet = load_workbook(out)["分配结果"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["S1"][2] == "11010519491231002X"  # normalised
    assert rows["S3"][7] == 4500 and rows["S1"][7] == 2000 and rows["S2"][7] == 0
    assert "下调" in rows["S1"][8]


def test_grants_csv_gb18030_and_errors(tmp_path: Path) -> None:
    src = tmp_path / "list.csv"
    src.write_bytes(
        "学号,姓名,身份证号,困难等级\nH1,甲,,特别困难\nH2,乙,,一般困难\n".encode("gb18030")
    )
    out = tmp_path / "a.xlsx"
    ok = runner.invoke(
        app,
        [
            "calc",
            "grants",
            str(src),
            "--school-type",
            "secondary_local",
            "--tiers",
            "1000,3000",
            "--funded",
            "2",
            "--out",
            str(out),
            "--year",
            "2024",
        ],
    )
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "bad.csv"
    bad.write_text("学号,姓名\nH1,甲\n", encoding="utf-8")
    res = runner.invoke(
        app,
        [
            "calc",
            "grants",
            str(bad),
            "--school-type",
            "undergraduate",
            "--funded",
            "1",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code != 0
    assert "困难等级" in res.stderr


def test_grants_veteran_funds_everyone_and_says_the_quota_is_ignored(tmp_path: Path) -> None:
    src, out = tmp_path / "veterans.csv", tmp_path / "v.xlsx"
    src.write_text(
        "学号,姓名,身份证号,困难等级\nV1,甲,,困难\nV2,乙,,一般困难\nV3,丙,,一般困难\n",
        encoding="utf-8",
    )
    base = ["calc", "grants", str(src), "--school-type", "veteran", "--out", str(out)]
    res = runner.invoke(app, [*base, "--funded", "2", "--year", "2024", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert (summary["funded"], summary["total"], summary["budget"]) == (3, 9900, 9900)
    assert len(summary["notices"]) == 1 and "资助名额 2 人不适用" in summary["notices"][0]
    assert "注意 / Note:" in res.stderr and "quota of 2 is ignored" in res.stderr
    sheet = load_workbook(out)["分配结果"]
    assert [r[7] for r in sheet.iter_rows(min_row=2, values_only=True)] == [3300] * 3
    quiet = runner.invoke(app, [*base, "--year", "2024", "--json"])  # no --funded needed
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.stdout)["notices"] == [] and quiet.stderr == ""
    other = runner.invoke(
        app,
        [
            "calc",
            "grants",
            str(src),
            "--school-type",
            "undergraduate",
            "--out",
            str(out),
            "--year",
            "2024",
        ],
    )
    assert other.exit_code != 0 and "资助名额" in other.stderr


def _registry(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        regions_service.upsert(
            session=session,
            rows=[
                ("62", "甘肃省"),
                ("6201", "兰州市"),
                ("620102", "城关区"),
                ("620102901", "模拟街道（模拟）"),
                ("6202", "嘉峪关市"),
                ("620201", "嘉峪关市辖区"),
                ("620201901", "模拟镇（模拟）"),
            ],
            source="test",
        )
    with engine.begin() as conn:
        for hid, town in ((1, "620102901"), (2, "620201901")):
            conn.execute(
                text(
                    "INSERT INTO household (id, head_resident_id, township_code, urban) "
                    "VALUES (:i, :h, :t, :u)"
                ),
                {"i": hid, "h": f"HEAD{hid}", "t": town, "u": hid == 1},
            )
        people = [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2)]
        for pid, hid in people:
            conn.execute(
                text(
                    "INSERT INTO person (id, resident_id, name, sex, birth_date, household_id, "
                    "relation) VALUES (:i, :r, :n, 'M', :b, :h, '其他')"
                ),
                {"i": pid, "r": f"R{pid}", "n": f"P{pid}", "b": date(1980, 1, 1), "h": hid},
            )
        # person 1: tekun and disabled (counted once, as tekun); 2: dibao rural_1;
        # 3: dibao without class; 4: dibao_edge; 5: disabled only (none); 6: ended in 2023
        members = [
            (1, "tekun", "tekun", None, None),
            (1, "disabled", "none", None, None),
            (2, "dibao", "dibao", "rural_1", None),
            (3, "dibao", "", None, None),
            (4, "dibao_edge", "dibao_edge", None, None),
            (5, "disabled", "none", None, None),
            (6, "tekun", "tekun", None, date(2023, 6, 30)),
        ]
        for pid, cat, grp, cls, until in members:
            conn.execute(
                text(
                    "INSERT INTO membership (person_id, category, valid_from, valid_to, source, "
                    "dibao_class, orphan, relapsed, medical_group) VALUES (:p, :c, :f, :t, "
                    "'home_visit', :d, false, false, :g)"
                ),
                {"p": pid, "c": cat, "f": date(2023, 1, 1), "t": until, "d": cls, "g": grp},
            )


def test_premiums_from_registry(engine: Engine, use_db: str, tmp_path: Path) -> None:
    _registry(engine)
    result = runner.invoke(
        app, ["calc", "premiums", "--year", "2024", "--on", "2024-06-30", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"] == {"people": 5, "unknown_class": 1, "subsidy": 380 + 310 + 100}
    rows = {(r["prefecture"], r["group"]): r for r in report["rows"]}
    assert rows[("6201", "tekun")]["prefecture_name"] == "兰州市"
    assert rows[("6201", "dibao")]["people"] == 2 and rows[("6201", "dibao")]["subsidy"] == 310
    assert rows[("6202", "none")]["people"] == 1
    # what-if: a 2024 premium of 400 for tekun (capped at the 380 contribution)
    whatif = tmp_path / "medical.yaml"
    whatif.write_text(
        "premium_subsidy:\n  dibao_edge:\n    unit: currency-CNY\n    values:\n"
        "      2024-01-01: 200\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "calc",
            "premiums",
            "--year",
            "2024",
            "--on",
            "2024-06-30",
            "--params",
            str(whatif),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"]["whatif_subsidy"] == 380 + 310 + 200
    assert report["whatif_parameter_version"] != report["parameter_version"]
    table = runner.invoke(app, ["calc", "premiums", "--year", "2024", "--on", "2024-06-30"])
    assert table.exit_code == 0 and "兰州市" in table.stdout


def test_grants_registry_hook(engine: Engine, use_db: str, tmp_path: Path) -> None:
    _registry(engine)
    src = tmp_path / "list.csv"
    src.write_text(
        "学号,姓名,身份证号,困难等级\nA,甲,R3,一般困难\nB,乙,R9,特别困难\n", encoding="utf-8"
    )
    out = tmp_path / "a.xlsx"
    res = runner.invoke(
        app,
        [
            "calc",
            "grants",
            str(src),
            "--school-type",
            "undergraduate",
            "--funded",
            "1",
            "--out",
            str(out),
            "--year",
            "2024",
            "--registry",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = {r[0]: r for r in load_workbook(out)["分配结果"].iter_rows(min_row=2, values_only=True)}
    assert rows["A"][7] == 3300 and rows["B"][7] == 0  # R3's household holds dibao and tekun
    assert "低保对象" in rows["A"][4]
