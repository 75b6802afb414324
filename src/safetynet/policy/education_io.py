"""Student grant files: read the school's list (CSV/XLSX), write the allocation (XLSX).

Template (first sheet or CSV, headings in row 1): 学号, 姓名, 身份证号, 困难等级 and the optional
家庭身份 (e.g. ``低保、残疾人``). CSV may be UTF-8, UTF-8 with BOM or GB18030.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from safetynet.ids import normalize
from safetynet.policy._money import CalcError
from safetynet.policy.education import LEVELS, Allocation, Student, parse_level, parse_statuses

__all__ = ["REQUIRED", "TEMPLATE_HEADINGS", "read_students", "write_allocation", "write_template"]

REQUIRED = ("学号", "姓名", "身份证号", "困难等级")
TEMPLATE_HEADINGS = (*REQUIRED, "家庭身份")
STATUS_NAMES = {"tekun": "特困人员", "dibao": "低保对象", "orphan": "孤儿", "disabled": "残疾人"}


def _read_rows(path: Path) -> list[dict[str, str]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls", ".xlsm"):
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        if not sheet:
            return []
        head = [str(h).strip() for h in sheet[0]]
        rows = []
        for raw in sheet[1:]:
            cells = ["" if v is None else _cell(v) for v in raw]
            if any(cells):
                rows.append(dict(zip(head, cells, strict=False)))
        return rows
    if suffix == ".csv":
        data = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CalcError(f"{path.name}: 无法识别文件编码 / unknown text encoding")
        reader = csv.DictReader(io.StringIO(text))
        return [
            {str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in reader
            if any((v or "").strip() for v in row.values() if isinstance(v, str))
        ]
    raise CalcError(f"{path.name}: 只支持 .xlsx 或 .csv / only .xlsx or .csv files")


def _cell(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_students(path: Path) -> list[Student]:
    """The school's list as students; any bad row stops with its row number and reason."""
    if not path.exists():
        raise CalcError(f"{path}: 文件不存在 / no such file")
    rows = _read_rows(path)
    if not rows:
        raise CalcError(f"{path.name}: 没有学生数据 / the file has no student rows")
    missing = [h for h in REQUIRED if h not in rows[0]]
    if missing:
        raise CalcError(
            f"{path.name}: 缺少列 / missing column(s) {'、'.join(missing)}; 模板列 / template: "
            + "、".join(TEMPLATE_HEADINGS)
        )
    students = []
    for line, row in enumerate(rows, start=2):
        try:
            if not row["学号"]:
                raise CalcError("学号为空 / empty student number")
            parse_level(row["困难等级"])
            students.append(
                Student(
                    student_no=row["学号"],
                    name=row["姓名"],
                    resident_id=normalize(row["身份证号"]) if row["身份证号"] else "",
                    level=row["困难等级"].strip(),
                    statuses=parse_statuses(row.get("家庭身份")),
                )
            )
        except CalcError as exc:
            raise CalcError(f"{path.name} 第 {line} 行 / row {line}: {exc}") from None
    return students


def write_allocation(
    allocation: Allocation, out: Path, *, extra_status: Mapping[str, frozenset[str]] | None = None
) -> None:
    """Write the allocation (sheet 分配结果) and a summary (sheet 汇总) to ``out``; every text
    is a text cell, neutralised against formulas (:func:`safetynet.output.xlsx_append`)."""
    from openpyxl import Workbook

    from safetynet.output import xlsx_append

    wb = Workbook()
    ws = wb.active
    ws.title = "分配结果"
    xlsx_append(
        ws,
        [
            "学号",
            "姓名",
            "身份证号",
            "困难等级",
            "家庭身份",
            "需求排序",
            "应得档次",
            "资助金额",
            "说明",
        ],
    )
    for g in allocation.grants:
        statuses = set(g.student.statuses) | set(
            (extra_status or {}).get(g.student.resident_id, ())
        )
        xlsx_append(
            ws,
            [
                g.student.student_no,
                g.student.name,
                g.student.resident_id,
                g.student.level,
                "、".join(STATUS_NAMES.get(s, s) for s in sorted(statuses)),
                g.rank,
                float(g.wanted),
                float(g.amount),
                "；".join(g.explanation),
            ],
        )
    for col, width in zip("ABCDEFGHI", (14, 10, 20, 10, 16, 9, 10, 10, 90), strict=True):
        ws.column_dimensions[col].width = width
    summary = wb.create_sheet("汇总")
    for label, value in (
        ("学校类型 school type", allocation.school_type),
        ("档次 tiers", " / ".join(f"{t:,.0f}" for t in allocation.tiers)),
        ("平均标准 average", float(allocation.average)),
        ("资助人数 funded", allocation.funded),
        ("预算 budget", float(allocation.budget)),
        ("分配总额 total", float(allocation.total)),
        ("差额 left", float(allocation.budget - allocation.total)),
        ("参数版本 parameter version", allocation.parameter_version),
        ("说明", "；".join(allocation.explanation)),
    ):
        xlsx_append(summary, [label, value])
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 60
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)


def write_template(out: Path) -> None:
    """An empty list with the template headings and one example row."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "学生名单"
    ws.append(list(TEMPLATE_HEADINGS))
    ws.append(["2024001", "张三", "620102200601011234", LEVELS[2], "低保"])
    wb.save(out)
