"""Files for people: empty templates departments fill in, and quarantine workbooks."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from safetynet.feeds.specs import FeedSpec

__all__ = ["REJECT_COLUMNS", "write_rejects_xlsx", "write_template"]

#: (key, heading) of the quarantine workbook.
REJECT_COLUMNS = [
    ("row_number", "行号 / row"),
    ("record_id", "记录编号 / record ID"),
    ("field", "字段 / field"),
    ("heading", "列名 / column"),
    ("value", "值 / value"),
    ("reason_zh", "原因"),
    ("reason_en", "reason"),
    ("reason", "代码 / code"),
]


def write_template(spec: FeedSpec, out: Path) -> Path:
    """An empty file with the spec's Chinese headings: ``.csv`` (UTF-8 with BOM) or ``.xlsx``."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerow(spec.headings)
        return out
    if suffix != ".xlsx":
        raise ValueError(f"模板只能是 .csv 或 .xlsx / template must be .csv or .xlsx: {out.name}")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = spec.title_zh[:31]
    ws.append(spec.headings)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, f in enumerate(spec.fields):
        ws.column_dimensions[_letter(i)].width = max(12, 3 * len(f.heading))
    notes = wb.create_sheet("填表说明 notes")
    notes.append(
        ["列名 column", "字段 field", "类型 type", "必填 required", "可填值 allowed values"]
    )
    for f in spec.fields:
        allowed = "、".join(k for k, v in f.codes.items() if k != v)
        notes.append([f.heading, f.name, f.kind, "是" if f.required else "否", allowed])
    wb.save(out)
    return out


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i + 1))


def write_rejects_xlsx(rows: Iterable[dict[str, Any]], spec: FeedSpec, out: Path) -> int:
    """Write the quarantine rows to an XLSX workbook; returns the number of rows written.

    The one deliberate exception to masking: the workbook keeps the full values (resident IDs,
    record IDs) so that the department can correct and resend them. Every text is stored as a
    text cell and neutralised against formulas (:func:`safetynet.output.xlsx_append`).
    """
    from openpyxl import Workbook

    from safetynet.output import xlsx_append

    headings = {f.name: f.heading for f in spec.fields}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{spec.title_zh}隔离"[:31])
    xlsx_append(ws, [h for _, h in REJECT_COLUMNS])
    n = 0
    for row in rows:
        field = str(row.get("field", ""))
        heading = "+".join(headings.get(p, p) for p in field.split("+"))
        data = {**row, "heading": heading}
        xlsx_append(ws, [data.get(k) for k, _ in REJECT_COLUMNS])
        n += 1
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return n
