"""Read a standards file (CSV or XLSX) into checked rows and quarantined rows (pure; no database).

Headings (Chinese or English): 县区代码 ``county_code``, 城乡 ``area``, 种类 ``kind``, 金额
``amount``, 起始日期 ``valid_from``, 依据 ``reference`` — all required. Rows whose every cell
is empty are skipped; row numbers count data rows after the heading. A file that cannot be read
at all raises :class:`~safetynet.registry.importer.ImportRefused`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from safetynet.inputfiles import InputRefused, check_size
from safetynet.policy.standards import REASONS, StandardRow, StandardSet, parse_row
from safetynet.registry.importer import ImportRefused, detect_encoding, xlsx_text_rows

__all__ = [
    "HEADINGS",
    "ImportRefused",
    "ParsedFile",
    "Rejected",
    "builtin_path",
    "builtin_standards",
    "parse_file",
    "read_standard_set",
]

HEADINGS = {
    "county_code": "县区代码",
    "area": "城乡",
    "kind": "种类",
    "amount": "金额",
    "valid_from": "起始日期",
    "reference": "依据",
}
_BY_HEADING = {zh: en for en, zh in HEADINGS.items()} | {en: en for en in HEADINGS}


@dataclass(frozen=True)
class Rejected:
    """A quarantined row: where, which field, what it said, why."""

    row_number: int
    field: str
    value: str | None
    reason: str
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class ParsedFile:
    """Rows read, the accepted rows (with their row numbers) and the rejected ones."""

    rows_read: int
    accepted: list[tuple[int, StandardRow]]
    rejected: list[Rejected]


def _raw_rows(path: Path) -> list[list[Any]]:
    if not path.is_file():
        raise ImportRefused(f"找不到文件 / no such file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return xlsx_text_rows(path)
    if suffix not in (".csv", ".txt"):
        raise ImportRefused(
            f"不支持的文件格式 {suffix or '(无扩展名)'}，请使用 CSV 或 XLSX / use CSV or XLSX"
        )
    try:
        check_size(path)  # the XLSX path checks its limits in xlsx_text_rows
    except InputRefused as exc:
        raise ImportRefused(str(exc)) from None
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        try:
            rows = list(csv.reader(fh))
        except csv.Error as exc:
            raise ImportRefused(f"CSV 文件格式错误 / broken CSV: {exc}") from None
    if not rows:
        raise ImportRefused(f"文件为空 / the file is empty: {path.name}")
    return rows


def parse_file(path: Path) -> ParsedFile:
    """Check every row of ``path``; duplicates of (county, area, kind, date) after the first
    are rejected."""
    rows = _raw_rows(path)
    header = [str(h or "").strip().lstrip("\ufeff") for h in rows[0]]
    index: dict[str, int] = {}
    for i, heading in enumerate(header):
        field = _BY_HEADING.get(heading)
        if field is None:
            continue
        if field in index:
            raise ImportRefused(f"列“{heading}”重复 / column {field} appears twice")
        index[field] = i
    missing = [f for f in HEADINGS if f not in index]
    if missing:
        raise ImportRefused(
            "缺少必填列："
            + "、".join(HEADINGS[f] for f in missing)
            + f" / missing required column(s): {', '.join(missing)}"
        )
    accepted: list[tuple[int, StandardRow]] = []
    rejected: list[Rejected] = []
    seen: set[tuple[str, bool, str, Any]] = set()
    read = 0
    for number, raw in enumerate((r for r in rows[1:] if any(str(c or "").strip() for c in r)), 1):
        read += 1
        cells = {f: (raw[i] if i < len(raw) else None) for f, i in index.items()}
        result = parse_row(*(cells[f] for f in HEADINGS))
        if isinstance(result, StandardRow):
            key = (result.county, result.urban, result.kind, result.valid_from)
            if key in seen:
                result = "duplicate"
            else:
                seen.add(key)
                accepted.append((number, result))
                continue
        field, zh, en = REASONS[result]
        value = cells.get(field)
        rejected.append(
            Rejected(number, field, None if value is None else str(value)[:255], result, zh, en)
        )
    return ParsedFile(rows_read=read, accepted=accepted, rejected=rejected)


def read_standard_set(path: Path) -> StandardSet:
    """A standards file as a :class:`StandardSet`; any rejected row refuses the whole file."""
    parsed = parse_file(path)
    if parsed.rejected:
        r = parsed.rejected[0]
        raise ImportRefused(
            f"{path.name} 第 {r.row_number} 行 {r.field}：{r.reason_zh} / row {r.row_number} "
            f"{r.field}: {r.reason_en} ({len(parsed.rejected)} bad row(s) in all)"
        )
    return StandardSet(row for _n, row in parsed.accepted)


def builtin_path() -> Path:
    """The shipped default standards file (PROVISIONAL figures, see its references)."""
    return Path(str(resources.files("safetynet.standards").joinpath("data", "gansu.csv")))


def builtin_standards() -> StandardSet:
    """The shipped default standards as a set (used by ``synth`` and as a fallback in tests).

    >>> s = builtin_standards()
    >>> s.resolve("620102", True, __import__("datetime").date(2024, 6, 1)).dibao
    Decimal('770.00')
    """
    return read_standard_set(builtin_path())
