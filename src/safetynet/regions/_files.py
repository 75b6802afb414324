"""Reading official division tables (CSV): encoding detection and column mapping (pure).

Official tables come as UTF-8, UTF-8 with BOM or GB18030 (what Excel on a Chinese Windows
saves). The encoding is detected from the bytes; a file that is none of these is refused with
a message instead of being guessed.

>>> detect_encoding("code,name\\n62,甘肃省\\n".encode("gb18030"))
'gb18030'
>>> detect_encoding(b"\\xef\\xbb\\xbfcode,name\\n")
'utf-8-sig'
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CODE_HEADERS",
    "NAME_HEADERS",
    "PARENT_HEADERS",
    "DivisionFileError",
    "RawRow",
    "detect_encoding",
    "parse_division_text",
    "read_division_file",
]

#: Accepted headings (compared lower-case, without spaces, underscores or hyphens).
CODE_HEADERS = frozenset({"code", "代码", "区划代码", "统计用区划代码", "行政区划代码"})
NAME_HEADERS = frozenset({"name", "名称", "区划名称", "行政区划名称", "单位名称"})
PARENT_HEADERS = frozenset(
    {
        "provincecode",
        "citycode",
        "areacode",
        "streetcode",
        "parentcode",
        "上级代码",
        "上级区划代码",
        "省代码",
        "市代码",
        "县代码",
        "乡镇代码",
    }
)


class DivisionFileError(ValueError):
    """A division file that cannot be read at all (encoding, format, missing columns)."""


@dataclass(frozen=True)
class RawRow:
    """One data row as read: the file, its line (the heading is line 1), code, name, parents."""

    file: str
    line: int
    code: str
    name: str
    parents: tuple[tuple[str, str], ...] = ()


def detect_encoding(data: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030``; raises :class:`DivisionFileError` otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DivisionFileError(
            "文件是 UTF-16 编码，请另存为 UTF-8 或 GB18030 的 CSV / "
            "the file is UTF-16; save it as a UTF-8 or GB18030 CSV"
        )
    if b"\x00" in data:
        raise DivisionFileError(
            "不是 CSV 文本文件（Excel 文件请先另存为 CSV）/ "
            "not a CSV text file (save an Excel workbook as CSV first)"
        )
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise DivisionFileError(
            "无法识别文件编码（应为 UTF-8 或 GB18030）/ "
            "unrecognised encoding (expected UTF-8 or GB18030)"
        ) from None
    if any(_suspicious(ch) for ch in text):
        raise DivisionFileError(
            "文件编码无法确定（按 GB18030 读出乱码）/ "
            "cannot tell the encoding (GB18030 gives garbage); save the file as UTF-8"
        )
    return "gb18030"


def _suspicious(ch: str) -> bool:
    """Control or private-use characters: the sign of a wrong decoding."""
    cat = unicodedata.category(ch)
    return (cat == "Cc" and ch not in "\t\r\n") or cat == "Co"


def _norm_header(text: str) -> str:
    out = text.strip().lstrip("\ufeff").lower()
    for sep in (" ", "_", "-", "\u3000"):
        out = out.replace(sep, "")
    return out


def _clean(text: str) -> str:
    return text.strip()  # str.strip() also removes the full-width space U+3000


def parse_division_text(text: str, *, file: str) -> list[RawRow]:
    """The rows of a division table already decoded to text.

    >>> rows = parse_division_text('code,name,provinceCode\\n6201,"兰州市",62\\n', file="x.csv")
    >>> rows[0].line, rows[0].code, rows[0].name, rows[0].parents
    (2, '6201', '兰州市', (('provinceCode', '62'),))
    """
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise DivisionFileError("文件为空，没有表头 / the file is empty (no heading row)")
    keys = [_norm_header(h) for h in header]
    code_i = next((i for i, k in enumerate(keys) if k in CODE_HEADERS), None)
    name_i = next((i for i, k in enumerate(keys) if k in NAME_HEADERS), None)
    if code_i is None or name_i is None:
        missing = " 和 ".join(col for col, i in (("code", code_i), ("name", name_i)) if i is None)
        raise DivisionFileError(
            f"缺少 {missing} 列（现有列：{', '.join(header)}）/ "
            f"missing column {missing.replace(' 和 ', ' and ')}; "
            "the table needs code,name (代码,名称)"
        )
    parent_cols = [(i, header[i].strip()) for i, k in enumerate(keys) if k in PARENT_HEADERS]
    rows: list[RawRow] = []
    width = max([code_i, name_i, *(i for i, _ in parent_cols)]) + 1
    for record in reader:
        if not record or not any(cell.strip() for cell in record):
            continue
        if len(record) < width:
            record = record + [""] * (width - len(record))
        parents = tuple((label, value) for i, label in parent_cols if (value := _clean(record[i])))
        code, name = _clean(record[code_i]), _clean(record[name_i])
        rows.append(RawRow(file, reader.line_num, code, name, parents))
    return rows


def read_division_file(path: Path) -> tuple[str, list[RawRow]]:
    """(encoding, rows) of one CSV division table; raises :class:`DivisionFileError`."""
    if path.suffix.lower() in {".xlsx", ".xls", ".parquet"}:
        raise DivisionFileError(
            f"{path.name}: 区划表只支持 CSV，请另存为 CSV / division tables must be CSV files"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DivisionFileError(f"{path}: 文件不存在 / file not found") from None
    except IsADirectoryError:
        raise DivisionFileError(f"{path}: 是目录而不是文件 / is a folder, not a file") from None
    try:
        encoding = detect_encoding(data)
        return encoding, parse_division_text(data.decode(encoding), file=path.name)
    except DivisionFileError as exc:
        raise DivisionFileError(f"{path.name}: {exc}") from None
