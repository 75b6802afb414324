"""A small synthetic province with one poisoned household, built through the real CLI.

The poison is what a hostile or careless data entry can put in any text field: Rich markup
(``[/x]``), an emoji code (``:x:``), spreadsheet formulas (``=HYPERLINK(…)``, ``@SUM(…)``,
``=cmd|…``), control characters other than NUL (bell, escape sequences, bidi override) and
long text. The household's members have valid resident IDs; the hospital record behind its
warning has a record ID made of the head's resident ID and two digits, as departments do.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from safetynet.ids import check_digit

MARKUP = "[/x]"
EMOJI = ":x:"
FORMULA = '=HYPERLINK("http://x","y")'
CONTROL = "\x07\x1b[31m\u202e"
NAME = f"{MARKUP}{EMOJI}{FORMULA}"[:50]
ADDRESS = (f"{MARKUP} {EMOJI} {FORMULA} " + "长" * 200)[:200]
LONG = "长" * 5_000

HOSPITAL_HEAD = (
    "住院号,身份证号,姓名,入院日期,出院日期,医疗机构,诊断编码,总费用,政策范围内费用,基本医保支付,"
    "大病保险支付,个人自付"
)


def _rid(first17: str) -> str:
    return first17 + check_digit(first17)


HEAD_ID = _rid("62010219510120917")  # born 1951-01-20, as in the example
MEMBER_ID = _rid("62010219800304123")
BAD_ID = _rid("62010219900101456")  # its row carries control characters and long text
RECORD_ID = HEAD_ID + "01"  # a department record ID that embeds the resident ID
#: every full resident ID (and the record ID) of the poisoned household
SECRETS = (HEAD_ID, MEMBER_ID, BAD_ID, RECORD_ID, "19510120", "1951-01-20")


@dataclass
class Province:
    home: Path
    synth: Path
    household_id: int
    month: str = "2024-01"


runner = CliRunner()


def cli(*args: str, input: str | bytes | None = None) -> object:
    """Run the CLI in-process; return parsed JSON with --json, else the text output."""
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


def _registry_rows(township: str, village: str) -> list[list[str]]:
    base = ["", "", HEAD_ID, "", township, village, "农村", ADDRESS, "低保对象", "2020-01-01",
            "", "自主申报", "农村一类", "否", "", "", "否", "", ""]  # fmt: skip

    def row(resident_id: str, name: str, relation: str, **over: str) -> list[str]:
        r = list(base)
        r[0], r[1], r[3] = resident_id, name, relation
        for index, value in over.items():
            r[int(index[1:])] = value
        return r

    return [
        row(HEAD_ID, NAME, "户主"),
        row(MEMBER_ID, f"{EMOJI}{MARKUP}{CONTROL}", "配偶"),
        row(BAD_ID, "张三", "子女", c7=LONG),  # a long address
        row(FORMULA, "@SUM(1+1)", "子女"),  # a formula where the resident ID belongs
    ]


def build(root: Path) -> Province:
    """Synthesise a tiny province, add the poisoned household and its hospital stay, import,
    ingest January and run its monitoring. The caller points SAFETYNET_HOME at ``root/home``."""
    synth = root / "synth"
    cli("synth", "--scale", "0.0005", "--months", "1", "--out", str(synth), "--json")
    raw = (synth / "registry.csv").read_bytes()
    text = raw.decode("utf-8-sig")
    first = next(csv.reader(io.StringIO(text.splitlines()[1])))
    township, village = first[4], first[5]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(_registry_rows(township, village))
    (synth / "registry.csv").write_text(text.rstrip("\n") + "\n" + out.getvalue(), "utf-8-sig")
    cli("db", "upgrade", "--json")
    cli("regions", "import", "--builtin", "--json")
    cli("regions", "import", str(synth / "divisions.csv"), "--json")
    cli("registry", "import", str(synth / "registry.csv"), "--json")
    cli("feeds", "ingest-dir", str(synth / "feeds" / "2024-01"), "--json")
    hospital = [
        HOSPITAL_HEAD,
        f'{RECORD_ID},{HEAD_ID},"{NAME.replace(chr(34), chr(34) * 2)}",2024-01-05,2024-01-10,'
        f'"{FORMULA.replace(chr(34), chr(34) * 2)}",I63.9,20000,18000,4000,1000,12000',
        "ZY-BAD,=cmd|' /C calc'!A0,@SUM(1+1),2024-01-05,,医院,I10,10,,,,",
        f"ZY-CTL,{BAD_ID},张{CONTROL}三,2024-01-05,,{MARKUP}{EMOJI},I10,-5,,,,",
    ]
    (root / "hospital.csv").write_text("\n".join(hospital) + "\n", "utf-8")
    cli("feeds", "ingest", "-s", "hospital", "-m", "2024-01", str(root / "hospital.csv"), "--json")
    cli("monitor", "run", "--month", "2024-01", "--json")
    shown = cli("registry", "show", HEAD_ID, "--json")
    assert isinstance(shown, dict)
    get_settings.cache_clear()
    return Province(root / "home", synth, int(shown["household_id"]))
