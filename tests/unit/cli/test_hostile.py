"""Hostile arguments and input lines: clear bilingual refusals with the right exit status, and
the JSON-lines contract (one valid UTF-8 JSON line per input line) in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from tests.unit.cli.poison import Province

runner = CliRunner()
BIG = "99999999999999999999"  # past 64 bits


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["monitor", "explain", BIG, "--month", "2024-01"], 1, "没有预警"),
        (["registry", "rejects", "--import", BIG], 1, "no import"),
        (["registry", "rejects", "--import", "999"], 1, "no import"),
        (["registry", "imports", "--limit", BIG], 2, "--limit"),
        (["monitor", "runs", "--limit", BIG], 2, "--limit"),
        (["monitor", "runs", "--limit", "-1"], 2, "--limit"),
        (["monitor", "run", "--month", "0000-01"], 1, "month out of range"),
        (["monitor", "run", "--month", "9999-12"], 1, "month out of range"),
        (["monitor", "run", "--month", "2024-13"], 2, "YYYY-MM"),
        (["monitor", "simulate", "--params", __file__, "--month", "0000-01"], 1, "out of range"),
        (["feeds", "rejects", "-s", "hospital", "-m", "2024-13"], 2, "YYYY-MM"),
        (["feeds", "rejects", "-s", "hospital", "-m", "2019-01"], 1, "never ingested"),
        (["feeds", "list", "-m", "2024-13"], 2, "YYYY-MM"),
        (["feeds", "ingest", "-s", "hospital", "-m", "9999-12", __file__], 1, "out of range"),
        (["feeds", "ingest", "-s", "hospital", "-m", "2024-1", __file__], 2, "YYYY-MM"),
        (["calc", "premiums", "--year", BIG], 2, "year"),
        (["synth", "--start", "0000-01", "--out", "{tmp}/x"], 1, "out of range"),
    ],
)
def test_refusals(
    poisoned: Province, tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    lake = get_settings().lake
    before = sorted(p.relative_to(lake) for p in lake.rglob("*"))
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == code, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    assert "错误 / Error" in result.output and words in result.output
    assert sorted(p.relative_to(lake) for p in lake.rglob("*")) == before  # nothing changed
    assert not (tmp_path / "x").exists()


def _run(args: list[str], data: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "safetynet.cli", *args],
        input=data,
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def _json_lines(out: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


@pytest.mark.parametrize("encoding", [None, "utf-8", "ascii", "gb18030"])
def test_ids_check_stdin_answers_every_line_in_utf8(encoding: str | None) -> None:
    data = b"62010219800101123\xff3\n110105194912310021\n\xed\xa0\x80\n11010519491231002x\n"
    env = {"PYTHONIOENCODING": encoding} if encoding else {}
    done = _run(["ids", "check", "-"], data, **env)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    rows = _json_lines(done.stdout)
    assert [r["valid"] for r in rows] == [False, False, False, True]
    assert rows[0]["input"] == "62010219800101123\ufffd3" and rows[0]["error"] == "format"


def test_json_lines_tools_answer_every_line() -> None:
    lines = [
        '{"id": "\\ud800", "group": "dibao", "oop": 100, "major_disease": false, "year": 2024}',
        '{"id": 2, "group": "dibao", "oop": 1e308, "major_disease": false, "year": 2024}',
        '{"id": 3, "group": "dibao", "oop": ' + "9" * 5000 + ', "year": 2024}',
        '{"id": 4, "group": "dibao", "oop": NaN, "year": 2024}',
        "[" * 100_000,
        '{"id": 6, "group": "dibao", "oop": 100, "major_disease": false, "year": 2024}',
    ]
    data = "\n".join(lines).encode() + b"\n\xff\xfe{}\n"
    for encoding in (None, "utf-8", "ascii"):
        env = {"PYTHONIOENCODING": encoding} if encoding else {}
        done = _run(["calc", "medical"], data, **env)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        rows = _json_lines(done.stdout)
        assert len(rows) == 7
        assert rows[0]["id"] == "\ufffd" and "assistance" in rows[0]
        assert rows[1] == {"id": 2, "error": "数额过大 / amount too large: 1e308"}
        assert rows[2]["id"] == 3 and "number too long" in str(rows[2]["error"])
        assert rows[3]["id"] == 4 and "not a finite number" in str(rows[3]["error"])
        assert "nested too deeply" in str(rows[4]["error"])
        assert rows[5]["id"] == 6 and "assistance" in rows[5]
        assert "not valid UTF-8" in str(rows[6]["error"])
        done = _run(["calc", "business"], data, **env)
        assert len(_json_lines(done.stdout)) == 7
