"""Test data for the feeds tests: valid resident IDs and the acceptance file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from safetynet.ids import check_digit

ROOT = Path(__file__).resolve().parents[3]  # the repository (the ``tests`` package's parent)

HOSPITAL_HEAD = (
    "住院号,身份证号,姓名,入院日期,出院日期,医疗机构,诊断编码,总费用,政策范围内费用,基本医保支付,"
    "大病保险支付,个人自付"
)


def valid_id(first17: str) -> str:
    """An 18-digit resident ID with the right check digit."""
    return first17 + check_digit(first17)


def wrong_check(first17: str) -> str:
    right = check_digit(first17)
    return first17 + ("1" if right != "1" else "2")


GOOD = valid_id("62010219800101123")
GOOD2 = valid_id("62052119751231002")
X_ID = "11010519491231002X"  # check digit X, written below in lowercase

#: (line in the file after the header → expected reasons); '' lines are blank.
ACCEPTANCE_ROWS: list[tuple[str, set[str]]] = [
    (f"ZY001,{GOOD},张三,2024-01-05,2024-01-10,兰州大学第一医院,I63.9,1000.00,800,400,100,100", set()),
    ("ZY002,620102800101123,李四,2024-01-06,,甘肃省人民医院,c34.1,500,,,,", set()),  # 15 digits
    ("", set()),
    (f"ZY003,{X_ID.lower()},王五,2024-01-07,,定西市人民医院,I10,10,,,,", set()),  # lowercase x
    (f"ZY004,{wrong_check('62010219800101123')},赵六,2024-01-07,,定西市人民医院,I10,10,,,,",
     {"id_check_digit"}),
    (f"ZY005,{GOOD2},钱七,2023-02-29,,定西市人民医院,I10,10,,,,", {"date"}),  # impossible date
    (f"ZY006,{GOOD2},孙八,2024-01-08,,定西市人民医院,I10,-5.00,,,,", {"amount_negative"}),
    (f"ZY001,{GOOD2},周九,2024-01-09,,定西市人民医院,I10,20,,,,", {"duplicate"}),
    ("   ", set()),
    (f"ZY007,{GOOD2},吴十,2024-01-09,2024-01-02,天水市第一人民医院,I10,20,30,,,",
     {"date_order", "amount_sum"}),
    (f"ZY008,{valid_id('62010220990101123')[:17]}0,郑一,2024-01-10,,天水市第一人民医院,X1,20,,,,",
     {"id_birth_date", "icd10"}),
    (f"ZY009,{GOOD},冯二,2024-01-1", {"columns_short"}),  # truncated last line, no newline
]  # fmt: skip


def acceptance_bytes() -> bytes:
    lines = [HOSPITAL_HEAD] + [line for line, _ in ACCEPTANCE_ROWS]
    return "\r\n".join(lines).encode("gb18030")


def expected_rejects() -> dict[int, set[str]]:
    """row_number → reasons, with the duplicate flagging both occurrences of ZY001."""
    out: dict[int, set[str]] = {}
    for i, (_line, reasons) in enumerate(ACCEPTANCE_ROWS, start=1):
        if reasons:
            out[i] = set(reasons)
    out.setdefault(1, set()).add("duplicate")
    return out


@contextmanager
def paused_ingest(db_url: str, tmp_path: Path, path: Path) -> Iterator[tuple[Any, Path]]:
    """A real ingest of ``path`` (hospital, 2024-01) in a child process, paused just before its
    partition swap by the ingest's ``before_swap`` callback (tests/unit/feeds/paused_child.py);
    yields (process, its temporary partition) and kills it with SIGKILL at the end of the block
    if it is still running."""
    marker = tmp_path / "paused"
    cmd = [sys.executable, "-m", "tests.unit.feeds.paused_child", db_url, str(marker), str(path)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():  # bounded poll: the writer announces it is paused
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the ingest never reached the swap"
            time.sleep(0.02)
        written = marker.read_text(encoding="utf-8")
        assert written, "the paused ingest published an empty path"
        yield proc, Path(written)
    finally:
        proc.kill()  # SIGKILL
        proc.wait(timeout=30)


def ingest_log(engine: Any, **filters: Any) -> list[dict[str, Any]]:
    """The ingest log, read in a unit of work of its own."""
    from safetynet.db import unit_of_work
    from safetynet.feeds.service import list_ingests

    with unit_of_work(engine) as session:
        return [r.model_dump() for r in list_ingests(session=session, **filters)]


def quarantine(engine: Any, *, source: str, month: str) -> list[dict[str, Any]]:
    """The current quarantine of (source, month), read in a unit of work of its own."""
    from safetynet.db import unit_of_work
    from safetynet.feeds.service import current_rejects

    with unit_of_work(engine) as session:
        return [
            r.model_dump() for r in current_rejects(session=session, source=source, month=month)
        ]
