"""``safetynet eligibility check``: the JSON-lines contract with a standards file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.standards.files import builtin_path

runner = CliRunner()
ADULT = "620102199001010046"


def _line(**extra: object) -> str:
    obj = {
        "county": "620102",
        "urban": True,
        "date": "2024-06-01",
        "members": [{"resident_id": ADULT, "income": {"wages": 9239.88}}],
    }
    return json.dumps(obj | extra)


def test_check_contract_and_bad_lines(tmp_path: Path) -> None:
    stdin = "\n".join(
        [
            _line(id="a"),
            "not json",
            "",
            _line(id=7, county="620999"),
            _line(members=[]),
            _line(colour="red"),
            '{"county": "620102", "urban": "yes", "date": "2024-06-01", "members": []}',
        ]
    )
    out = runner.invoke(
        app, ["eligibility", "check", "--standards", str(builtin_path())], input=stdin
    )
    assert out.exit_code == 0, out.output
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(lines) == 6
    first = lines[0]
    assert list(first) == [
        "id", "decision", "tekun_members", "income_per_person_month", "standard",
        "valid_until", "conditions", "parameter_version",
    ]  # fmt: skip
    assert first["id"] == "a" and first["decision"] == "dibao"
    assert first["income_per_person_month"] == 769.99
    assert '"income_per_person_month": 769.99,' in out.stdout.splitlines()[0]
    assert first["standard"]["dibao"] == 770 and first["tekun_members"] == []
    cond = first["conditions"][0]
    assert set(cond) == {"rule", "condition", "member", "value", "limit", "met", "text"}
    rules = {c["rule"] for c in first["conditions"]}
    assert rules == {"assets", "tekun", "dibao", "dibao_edge", "rigid_expense"}
    assert "invalid JSON" in lines[1]["error"]
    assert lines[2]["id"] == 7 and "no standards for county 620999" in lines[2]["error"]
    assert "members" in lines[3]["error"]
    assert "unknown field(s): colour" in lines[4]["error"]
    assert "urban" in lines[5]["error"]


def test_check_refuses_a_bad_standards_file(tmp_path: Path) -> None:
    bad = tmp_path / "s.csv"
    bad.write_text(
        "county_code,area,kind,amount,valid_from,reference\n620102,urban,dibao,x,2024-01-01,r\n"
    )
    out = runner.invoke(app, ["eligibility", "check", "--standards", str(bad)], input="{}\n")
    assert out.exit_code == 1 and "第 1 行 amount" in out.stderr
