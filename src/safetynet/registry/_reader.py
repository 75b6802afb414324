"""Read a registry file (CSV, XLSX, Parquet) as Arrow batches of string columns.

Headings may be the Chinese ones of the template or the English field names. A file that
cannot be read — unknown format, undetectable encoding, missing required column — raises
:class:`ImportRefused` before anything is written.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "FIELDS",
    "HEADINGS",
    "REQUIRED",
    "ImportRefused",
    "RegistryFile",
    "detect_encoding",
    "open_registry_file",
    "write_template",
]

#: English field name → Chinese heading, in template order.
HEADINGS: dict[str, str] = {
    "resident_id": "身份证号",
    "name": "姓名",
    "head_resident_id": "户主身份证号",
    "relation": "与户主关系",
    "township_code": "乡镇代码",
    "village_code": "村社区代码",
    "urban_rural": "城乡",
    "address": "地址",
    "category": "类别",
    "valid_from": "认定日期",
    "valid_to": "退出日期",
    "source": "认定来源",
    "dibao_class": "低保类别",
    "orphan": "孤儿",
    "disability_type": "残疾类别",
    "disability_grade": "残疾等级",
    "relapsed": "返贫致贫",
    "medical_group": "医疗救助类别",
    "moved_on": "迁入日期",
}
FIELDS = tuple(HEADINGS)
REQUIRED = ("resident_id", "name", "head_resident_id", "township_code")
BATCH_ROWS = 262_144
_BY_HEADING = {zh: en for en, zh in HEADINGS.items()} | {en: en for en in HEADINGS}


class ImportRefused(Exception):
    """The file cannot be imported at all; ``str(exc)`` is a bilingual message."""


@dataclass
class RegistryFile:
    """An opened registry file: its format, encoding and a fresh batch iterator per call."""

    path: Path
    kind: str  # csv | xlsx | parquet
    encoding: str | None
    columns: dict[str, str]  # field → heading found in the file

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Batches with exactly :data:`FIELDS` as string columns (absent columns are null)."""
        if self.kind == "parquet":
            yield from self._parquet()
        elif self.kind == "csv":
            yield from self._csv()
        else:
            yield from self._xlsx()

    def _shape(self, table: pa.Table | pa.RecordBatch) -> pa.RecordBatch:
        n = table.num_rows
        arrays = []
        for field in FIELDS:
            heading = self.columns.get(field)
            if heading is None:
                arrays.append(pa.nulls(n, pa.string()))
                continue
            col = table.column(heading)
            if isinstance(col, pa.ChunkedArray):
                col = col.combine_chunks()
            if pa.types.is_timestamp(col.type):
                col = pc.cast(col, pa.date32())
            if col.type != pa.string():
                col = pc.cast(col, pa.string())
            arrays.append(col)
        return pa.RecordBatch.from_arrays(arrays, names=list(FIELDS))

    def _parquet(self) -> Iterator[pa.RecordBatch]:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(self.path)
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=list(self.columns.values())):
            yield self._shape(batch)

    def _csv(self) -> Iterator[pa.RecordBatch]:
        import pyarrow.csv as pacsv

        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(encoding=self.encoding or "utf8", block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in self.columns.values()},
                include_columns=list(self.columns.values()),
                strings_can_be_null=False,
            ),
        )
        for batch in reader:
            yield self._shape(batch)

    def _xlsx(self) -> Iterator[pa.RecordBatch]:
        rows = _xlsx_rows(self.path)
        header = [_cell(v) or "" for v in rows[0]]
        body = rows[1:]
        while body and all(_cell(v) in (None, "") for v in body[-1]):
            body.pop()
        data = {}
        for heading in self.columns.values():
            idx = header.index(heading)
            data[heading] = pa.array(
                [_cell(r[idx]) if idx < len(r) else None for r in body], type=pa.string()
            )
        yield self._shape(pa.table(data))


def _cell(value: Any) -> str | None:
    """An Excel cell as text: whole numbers without '.0', dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types
        raise ImportRefused(
            f"无法读取 Excel 文件 / cannot read the Excel file {path.name}: {exc}"
        ) from None
    if not rows:
        raise ImportRefused(f"文件为空 / the file is empty: {path.name}")
    return rows


def detect_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030`` — whichever decodes the whole file; else refuse.

    A file that is valid UTF-8 is read as UTF-8; GB18030 is tried only when it is not.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportRefused(
            f"{path.name} 是 UTF-16 编码，请另存为 UTF-8 或 GB18030 / "
            "the file is UTF-16; save it as UTF-8 or GB18030"
        )
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 24):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportRefused(
        f"无法识别 {path.name} 的编码（既不是 UTF-8 也不是 GB18030），请另存为 UTF-8 / "
        "cannot tell the file's encoding (neither UTF-8 nor GB18030); save it as UTF-8"
    )


def _header_of(path: Path, kind: str, encoding: str | None) -> list[str]:
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception as exc:  # pyarrow raises several error types for bad files
            raise ImportRefused(
                f"无法读取 Parquet 文件 / cannot read the Parquet file {path.name}: {exc}"
            ) from None
    if kind == "xlsx":
        return [_cell(v) or "" for v in _xlsx_rows(path)[0]]
    import csv

    with path.open(encoding=encoding, newline="") as fh:
        first = next(csv.reader(fh), None)
    if not first:
        raise ImportRefused(f"文件为空 / the file is empty: {path.name}")
    return first


def open_registry_file(path: Path) -> RegistryFile:
    """Check the format, encoding and headings of ``path``; raise :class:`ImportRefused`."""
    if not path.is_file():
        raise ImportRefused(f"找不到文件 / no such file: {path}")
    suffix = path.suffix.lower()
    kinds = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
    kind = kinds.get(suffix)
    if kind is None:
        raise ImportRefused(
            f"不支持的文件格式 {suffix or '(无扩展名)'}，请使用 CSV、XLSX 或 Parquet / "
            "unsupported file type; use CSV, XLSX or Parquet"
        )
    encoding = detect_encoding(path) if kind == "csv" else None
    header = _header_of(path, kind, encoding)
    columns: dict[str, str] = {}
    for heading in header:
        field = _BY_HEADING.get(str(heading).strip().lstrip("\ufeff"))
        if field is None:
            continue
        if field in columns:
            raise ImportRefused(
                f"列“{heading}”重复 / column {HEADINGS[field]} ({field}) appears twice"
            )
        columns[field] = heading
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        names = "、".join(HEADINGS[f] for f in missing)
        raise ImportRefused(
            f"缺少必填列：{names} / missing required column(s): {', '.join(missing)}"
        )
    return RegistryFile(path=path, kind=kind, encoding=encoding, columns=columns)


def write_template(out: Path) -> Path:
    """Write the empty template (Chinese headings) as CSV (UTF-8 with BOM) or XLSX."""
    suffix = out.suffix.lower()
    if suffix == ".csv":
        out.write_text(",".join(HEADINGS.values()) + "\r\n", encoding="utf-8-sig")
        return out
    if suffix != ".xlsx":
        raise ImportRefused("模板只能是 .csv 或 .xlsx / the template must be .csv or .xlsx")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "登记表"
    ws.append(list(HEADINGS.values()))
    for cell in ws[1]:
        cell.number_format = "@"
    for col in "ABC":  # resident IDs as text so Excel keeps all 18 digits
        for row in range(2, 1002):
            ws[f"{col}{row}"].number_format = "@"
    info = wb.create_sheet("说明")
    info.append(["列 / column", "字段 / field", "必填 / required"])
    for field, heading in HEADINGS.items():
        info.append([heading, field, "是" if field in REQUIRED else ""])
    wb.save(out)
    return out
