"""Read a registry file (CSV, XLSX, Parquet) as Arrow batches of string columns.

Headings may be the Chinese ones of the template or the English field names. A file that
cannot be read — unknown format, undetectable encoding, missing required column, a limit on
input files broken (size, XLSX unpacked size and sheet extent, see :mod:`safetynet.inputfiles`)
— raises :class:`ImportRefused` before anything is written; a CSV that breaks further down names
the data row where it breaks. Messages show control characters as ``\\xNN``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from safetynet import codes
from safetynet.inputfiles import InputRefused, check_size, check_xlsx, visible

__all__ = [
    "FIELDS",
    "HEADINGS",
    "REQUIRED",
    "ImportRefused",
    "RegistryFile",
    "detect_encoding",
    "open_registry_file",
    "write_template",
    "xlsx_text_rows",
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
XLSX_ROWS = 50_000
CSV_BLOCK = 1 << 24
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
        batches = pf.iter_batches(batch_size=BATCH_ROWS, columns=list(self.columns.values()))
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise ImportRefused(
                    f"Parquet 文件已损坏，无法读取 / cannot read the Parquet file {visible(self.path.name)}: "
                    f"{_first_line(exc)}"
                ) from None
            try:
                shaped = self._shape(batch)
            except (pa.ArrowException, ValueError) as exc:
                raise ImportRefused(
                    f"Parquet 文件的列无法读取为文本 / a column of the Parquet file cannot be read "
                    f"as text: {_first_line(exc)}"
                ) from None
            yield shaped

    def _csv_reader(self, *, locate: bool = False) -> Any:
        import pyarrow.csv as pacsv

        def stop(row: Any) -> str:
            return "error"

        return pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                encoding=self.encoding or "utf8", block_size=CSV_BLOCK, use_threads=not locate
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=stop if locate else None,
                newlines_in_values=True,  # Alt+Enter line breaks inside quoted values
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in self.columns.values()},
                include_columns=list(self.columns.values()),
                strings_can_be_null=False,
            ),
        )

    def _csv(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._csv_reader():
                yield self._shape(batch)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._csv_refusal(exc) from None

    def _csv_refusal(self, exc: BaseException) -> ImportRefused:
        """A refusal naming the data row where the CSV breaks (found by a second, numbered
        read: the fast read runs in parallel and does not know row numbers)."""
        message = _first_line(exc)
        row: int | None = None
        try:
            for _batch in self._csv_reader(locate=True):
                pass
        except (pa.ArrowInvalid, UnicodeDecodeError) as again:
            message = _first_line(again)
            found = re.search(r"Row #(\d+)", str(again))
            row = int(found.group(1)) - 1 if found else None  # the heading is record 1
        if row is None:
            return ImportRefused(f"CSV 文件无法解析 / cannot parse the CSV file: {message}")
        return ImportRefused(
            f"CSV 文件第 {row:,} 行（不含表头）无法解析 / cannot parse the CSV at data row {row:,} "
            f"(row {row} after the heading): {message}"
        )

    def _xlsx(self) -> Iterator[pa.RecordBatch]:
        """The first sheet in slices of :data:`XLSX_ROWS` rows (trailing blank rows dropped)."""
        rows = _xlsx_sheet(self.path).iter_rows()
        header = [_cell(v) or "" for v in next(rows, [])]
        index = {h: header.index(h) for h in self.columns.values()}
        pending_blank: list[list[Any]] = []
        chunk: list[list[Any]] = []
        for row in rows:
            if all(_cell(v) in (None, "") for v in row):
                pending_blank.append(row)
                continue
            chunk.extend(pending_blank)
            pending_blank.clear()
            chunk.append(row)
            if len(chunk) >= XLSX_ROWS:
                yield self._shape(_xlsx_table(chunk, index))
                chunk = []
        if chunk:
            yield self._shape(_xlsx_table(chunk, index))


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


def _xlsx_table(rows: list[list[Any]], index: dict[str, int]) -> pa.Table:
    return pa.table(
        {
            heading: pa.array([_cell(r[i]) if i < len(r) else None for r in rows], type=pa.string())
            for heading, i in index.items()
        }
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return visible(text.splitlines()[0] if text else type(exc).__name__)


def _xlsx_rows(path: Path, columns: int = len(FIELDS)) -> list[list[Any]]:
    """Every row of the first sheet of a small XLSX (``columns`` expected), the limits on
    input files checked first; refuses an empty sheet."""
    try:
        check_xlsx(path, columns=columns)
    except InputRefused as exc:
        raise ImportRefused(str(exc)) from None
    rows: list[list[Any]] = list(_xlsx_sheet(path).iter_rows())
    if not rows:
        raise ImportRefused(f"文件为空 / the file is empty: {visible(path.name)}")
    return rows


def _xlsx_sheet(path: Path) -> Any:
    """The first sheet, loaded by calamine once :func:`~safetynet.inputfiles.check_xlsx` has
    bounded its size (calamine builds a dense grid of the cells' extent)."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types
        raise ImportRefused(
            f"无法读取 Excel 文件 / cannot read the Excel file {visible(path.name)}: {_first_line(exc)}"
        ) from None


def xlsx_text_rows(path: Path, columns: int = len(FIELDS)) -> list[list[str | None]]:
    """Every row of the first sheet of a small XLSX as text cells (see :func:`_cell`), the
    limits on input files checked first (``columns`` expected)."""
    return [[_cell(v) for v in row] for row in _xlsx_rows(path, columns)]


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
    cut_short = False
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 24):
                    decoder.decode(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                cut_short = cut_short or encoding == "utf-8"  # all valid up to a partial character
                raise
        except UnicodeDecodeError:
            continue
        return encoding
    if cut_short:
        raise ImportRefused(
            f"{visible(path.name)} 在一个字符的中间结束（文件被截断？）：最后一行不完整，请重新导出完整文件 / "
            "the file is UTF-8 but ends in the middle of a character (cut short?): its last line "
            "is incomplete; export the whole file again"
        )
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
        first_row = next(_xlsx_sheet(path).iter_rows(), None)
        if not first_row:
            raise ImportRefused(f"文件为空 / the file is empty: {visible(path.name)}")
        return [_cell(v) or "" for v in first_row]
    import csv

    try:
        with path.open(encoding=encoding, newline="") as fh:
            first = next(csv.reader(fh), None)
    except csv.Error as exc:
        raise ImportRefused(
            f"表头无法解析 / cannot parse the heading row: {visible(str(exc))}"
        ) from None
    if not first:
        raise ImportRefused(f"文件为空 / the file is empty: {visible(path.name)}")
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
    try:  # the limits on input files, before any reader allocates anything
        if kind == "xlsx":
            check_xlsx(path, columns=len(FIELDS))
        else:
            check_size(path)
    except InputRefused as exc:
        raise ImportRefused(str(exc)) from None
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
    info.append([])
    info.append([f"{HEADINGS['category']}取值 / category values", "代码 / code"])
    for code, name in codes.CATEGORIES.items():
        info.append([name, code])
    wb.save(out)
    return out
