"""Every CLI command, run against the poisoned province: no stack trace, no Rich markup error,
no emoji, no raw control character, no unmasked resident ID (except the logged reveal) and no
live formula in any spreadsheet written.

The commands are enumerated from the Typer app, so a new command fails this test until it
has an entry in :data:`CALLS`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from safetynet.cli._common import console, err_console
from safetynet.cli.main import app
from safetynet.monitoring.params import DEFAULT_DIR
from tests.unit.cli.poison import (
    CONTROL,
    EMOJI,
    FORMULA,
    HEAD_ID,
    MARKUP,
    NAME,
    SECRETS,
    Province,
)

runner = CliRunner()
PARAMS = DEFAULT_DIR / "monitoring.yaml"
STANDARDS_FILE = Path(__file__).resolve().parents[3] / "src/safetynet/standards/data/gansu.csv"
POISON = f"{MARKUP}{EMOJI}{FORMULA}{CONTROL}"
#: markup for file names (which cannot hold "/"): a style tag that would vanish unescaped
FILE_MARK = "[red]:x:"


def commands() -> list[str]:
    """Every leaf command of the CLI, as its words (``"registry show"``)."""
    found: list[str] = []

    def walk(cmd: Any, path: list[str]) -> None:
        subcommands = getattr(cmd, "commands", None)
        if subcommands is not None:
            for name, sub in subcommands.items():
                walk(sub, [*path, name])
        else:
            found.append(" ".join(path))

    walk(typer.main.get_command(app), [])
    return sorted(found)


def _files(tmp: Path) -> dict[str, Path]:
    """Poisoned input files, and output paths with markup in their names."""
    tmp.mkdir(parents=True, exist_ok=True)
    divisions = tmp / f"{FILE_MARK}divisions.csv"
    divisions.write_text(f"code,name\n620102921999,{NAME}\n{FORMULA},{MARKUP}\n", "utf-8")
    students = tmp / "students.csv"
    students.write_text(
        "学号,姓名,身份证号,困难等级,家庭身份\n"
        f'"{FORMULA.replace(chr(34), chr(34) * 2)}",{MARKUP}{EMOJI},{HEAD_ID},特别困难,低保\n'
        f"@SUM(1+1),-2+3,{HEAD_ID[:-1]}0,一般困难,\n",
        "utf-8",
    )
    standards = tmp / "standards.csv"
    standards.write_text(
        "县区代码,城乡,种类,金额,起始日期,依据\n"
        f'620102,城镇,dibao,800,2024-01-01,"{FORMULA.replace(chr(34), chr(34) * 2)}{MARKUP}"\n'
        f"620102,{MARKUP},dibao,-5,2024-01-01,{EMOJI}{CONTROL}\n",
        "utf-8",
    )
    month = tmp / "feeds" / "2024-01"
    month.mkdir(parents=True, exist_ok=True)
    (month / f"{FILE_MARK}.csv").write_text("x\n", "utf-8")
    return {
        "divisions": divisions,
        "students": students,
        "standards": standards,
        "month_dir": month,
        "out": tmp / f"{FILE_MARK}out",
    }


def calls(p: Province, f: dict[str, Path]) -> dict[str, list[tuple[list[str], Any, int]]]:
    """command → [(arguments, stdin, expected exit status)]."""
    hh, out = str(p.household_id), f["out"]
    hospital = p.home.parent / "hospital.csv"
    medical = "\n".join(
        [
            json.dumps(
                {"id": POISON, "group": "dibao", "oop": 100, "major_disease": False, "year": 2024}
            ),
            json.dumps({"id": 2, "group": POISON, "oop": 100, "year": 2024}),
            '{"id": "\\ud800", "oop": 1e308}',
            "[/x]:x:",
        ]
    )
    business = "\n".join([json.dumps({"id": POISON, "on": POISON}), '{"age": 1e308}', MARKUP])
    return {
        "ids check": [
            ([FORMULA, POISON], None, 0),
            (["-"], (POISON + "\n").encode() + b"\xff\xfe\n", 0),
        ],
        "db upgrade": [([], None, 0), (["--json"], None, 0)],
        "db current": [([], None, 0), (["--json"], None, 0)],
        "regions import": [
            ([str(f["divisions"])], None, 0),
            ([str(f["divisions"]), "--json"], None, 0),
        ],
        "regions show": [
            (["620102921999"], None, 0),
            (["620102921999", "--json"], None, 0),
            ([POISON], None, 1),
        ],
        "regions stats": [([], None, 0), (["--json"], None, 0)],
        "registry import": [
            ([str(p.synth / "registry.csv")], None, 0),
            ([str(p.synth / "registry.csv"), "--json", "--actor", POISON], None, 0),
            ([str(f["divisions"])], None, 1),
        ],
        "registry template": [
            (["--out", f"{out}.xlsx"], None, 0),
            (["--out", f"{out}.csv"], None, 0),
        ],
        "registry rejects": [
            (["--import", "1"], None, 0),
            (["--import", "1", "--json"], None, 0),
            (["--import", "1", "--xlsx", f"{out}-registry-rejects.xlsx"], None, 0),
        ],
        "registry imports": [([], None, 0), (["--json"], None, 0)],
        "registry show": [
            ([HEAD_ID], None, 0),
            ([hh], None, 0),
            ([hh, "--json"], None, 0),
            ([POISON], None, 1),
            ([hh, "--unmasked"], None, 2),  # a reveal needs a reason
            ([hh, "--unmasked", "--reason", POISON, "--actor", POISON], None, 0),
        ],
        "registry reveals": [([], None, 0), (["--json"], None, 0)],
        "synth": [(["--scale", "0.0001", "--months", "1", "--out", str(out)], None, 0)],
        "stats": [([], None, 0), (["--json"], None, 0), (["--date", POISON], None, 1)],
        "feeds ingest": [
            ([str(hospital), "-s", "hospital", "-m", "2024-01"], None, 0),
            ([str(hospital), "-s", "hospital", "-m", "2024-01", "--json"], None, 0),
            ([str(hospital), "-s", POISON, "-m", "2024-01"], None, 1),
        ],
        "feeds ingest-dir": [([str(f["month_dir"])], None, 1)],
        "feeds list": [([], None, 0), (["--json"], None, 0)],
        "feeds rejects": [
            (["-s", "hospital", "-m", "2024-01"], None, 0),
            (["-s", "hospital", "-m", "2024-01", "--json"], None, 0),
            (["-s", "hospital", "-m", "2024-01", "--xlsx", f"{out}-feed-rejects.xlsx"], None, 0),
            (["-s", "hospital", "-m", POISON], None, 2),
        ],
        "feeds template": [(["-s", "hospital", "--out", f"{out}-feed.xlsx"], None, 0)],
        "feeds spec": [(["-s", "hospital"], None, 0), (["-s", "hospital", "--json"], None, 0)],
        "monitor run": [
            (["--month", p.month], None, 0),
            (["--month", p.month, "--json"], None, 0),
        ],
        "monitor explain": [
            ([hh, "--month", p.month], None, 0),
            ([hh, "--month", p.month, "--json"], None, 0),
        ],
        "monitor simulate": [(["--params", str(PARAMS), "--month", p.month], None, 0)],
        "monitor runs": [([], None, 0), (["--json"], None, 0)],
        "calc medical": [([], medical, 0)],
        "calc business": [([], business, 0)],
        "calc grants": [
            (
                [
                    str(f["students"]),
                    "--school-type",
                    "undergraduate",
                    "--funded",
                    "2",
                    "--year",
                    "2024",
                    "--out",
                    f"{out}-grants.xlsx",
                ],
                None,
                0,
            ),
        ],
        "calc premiums": [(["--year", "2024"], None, 0), (["--year", "2024", "--json"], None, 0)],
        "standards import": [
            (["--builtin"], None, 0),
            ([str(f["standards"])], None, 0),
            ([str(f["standards"]), "--json", "--force"], None, 0),
        ],
        "standards list": [([], None, 0), (["--json"], None, 0)],
        "eligibility check": [([], medical, 0)],
        "eligibility simulate": [
            (  # the poisoned standards file has a bad row: refused with its row and reason
                [
                    *("--standards", str(f["standards"]), "--base", str(STANDARDS_FILE)),
                    *("--economy", str(p.synth), "--date", "2024-06-30"),
                ],
                None,
                1,
            ),
            (["--standards", str(f["standards"]), "--date", POISON], None, 1),
        ],
        # The demo builds its own synthetic province (no outside data) and takes minutes;
        # `make demo` runs it. Here: its help only.
        "demo": [(["--help"], None, 0)],
    }


def _problems(command: str, args: list[str], result: Any, expected: int) -> list[str]:
    where = f"{command} {' '.join(args)[:80]!r}"
    out: str = result.output
    found = []
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        found.append(f"{where}: {type(result.exception).__name__}: {result.exception}")
    if result.exit_code != expected:
        found.append(f"{where}: exit {result.exit_code}, expected {expected}: {out[-300:]}")
    if "Traceback" in out:
        found.append(f"{where}: stack trace")
    revealed = "--unmasked" in args and result.exit_code == 0  # the logged exception
    for secret in () if revealed else SECRETS:
        if secret in out:
            found.append(f"{where}: unmasked {secret}")
    for char in ("\x07", "\x1b", "\u202e", "❌"):
        if char in out:
            found.append(f"{where}: raw {char!r} in the output")
    if "--json" in args and result.exit_code == 0:
        for line in result.stdout.splitlines():
            json.loads(line)
    return found


def _formulas(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [
            f"{path.name}:{name}"
            for name in z.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in z.read(name)
        ]


def test_every_command_is_covered(poisoned: Province, tmp_path: Path) -> None:
    assert sorted(calls(poisoned, _files(tmp_path))) == commands()


def test_every_command_with_poisoned_data(
    poisoned: Province, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for c in (console, err_console):  # one line per row: nothing hides in wrapping
        monkeypatch.setattr(c, "width", 2000)
    files = _files(tmp_path)
    problems: list[str] = []
    for command, runs in calls(poisoned, files).items():
        for args, stdin, expected in runs:
            result = runner.invoke(app, [*command.split(), *args], input=stdin)
            problems += _problems(command, args, result, expected)
    sheets = sorted(tmp_path.glob("*.xlsx"))
    for sheet in sheets:
        problems += _formulas(sheet)
    assert not problems, "\n".join(problems)
    assert len(sheets) == 5, sheets  # registry and feed templates, two rejects, grants
    shown = runner.invoke(app, ["registry", "show", str(poisoned.household_id)]).output
    assert MARKUP in shown and EMOJI in shown and "70–79 岁" in shown  # printed as themselves
