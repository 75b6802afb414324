"""Hostile input files for the feeds and registry tests: crafted XLSX, corrupt Parquet, and a
way to run the real command in a child process (so a crash by a signal shows as a crash)."""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

#: Address-space limit of child commands (bytes): a reader that tries to allocate far more
#: fails fast instead of taking the shared machine's memory.
CHILD_MEMORY = 3 << 30


def xlsx_bytes(
    rows: Sequence[Sequence[Any]], *, extra_xml: str = "", dimension: str | None = None
) -> bytes:
    """An XLSX workbook of ``rows`` (first sheet), with ``extra_xml`` appended inside
    ``<sheetData>`` and the declared ``<dimension ref=…>`` replaced when given."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                if dimension is not None:
                    text = re.sub(
                        r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>', text
                    )
                text = text.replace("</sheetData>", extra_xml + "</sheetData>")
                data = text.encode("utf-8")
            dst.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def far_cell_xml(ref: str = "XFD1048576") -> str:
    """One inline-string cell at ``ref`` (the 5.7 KB workbook that used to abort the readers)."""
    row = re.sub(r"^[A-Z]+", "", ref)
    return f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'


def corrupt_parquet(table: pa.Table, path: Path) -> Path:
    """``table`` as Parquet with the first page header overwritten (a corrupt page)."""
    pq.write_table(table, path)
    data = bytearray(path.read_bytes())
    data[4:24] = b"\xff" * 20
    path.write_bytes(bytes(data))
    return path


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def run_cli(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 120) -> Any:
    """Run ``safetynet ARGS`` in a child process (memory-limited); the completed process."""
    exe = str(Path(sys.executable).with_name("safetynet"))
    return subprocess.run(
        [exe, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
        check=False,
    )


def assert_clean_refusal(proc: Any, *needles: str) -> None:
    """Exit status 1, no stack trace, the bilingual refusal naming each of ``needles``."""
    shown = f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 1, shown
    assert "Traceback" not in proc.stderr + proc.stdout, shown
    for needle in needles:
        assert needle in proc.stderr + proc.stdout, shown
