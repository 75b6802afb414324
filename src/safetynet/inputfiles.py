"""Limits on input files, shared by the feeds ingest and the registry import.

Department files come from outside; before a reader allocates anything in proportion to what
a file *claims*, this module checks the claims against the limits in
:class:`~safetynet.config.Settings` (see docs/security.md, "Limits on input files"):

* :func:`check_size`: the file's size (default ≤ 2 GiB);
* :func:`check_xlsx`: an XLSX workbook's unpacked size (≤ 4 GiB and ≤ 100 × the file), every
  member's real size against its declared size, and the first sheet's declared and real
  extent — width ≤ the expected columns + 20, height ≤ 10 M rows — *before* the spreadsheet
  library builds its (dense) grid of cells, which for one value in cell ``XFD1048576`` would be
  half a terabyte;
* :func:`clean_text`: line breaks inside a text value (Excel's Alt+Enter) become one space and
  any other control character (NUL included) is reported per row, vectorised over the Arrow
  buffers so a clean column costs one pass of numpy over its bytes;
* :func:`visible` / :func:`visible_array`: control characters written as ``\\xNN`` for messages
  and stored quarantine values.

Every refusal is an :class:`InputRefused` with a bilingual message; the importers turn it into
their own refusal (``FeedRefused``, ``ImportRefused``) with nothing changed.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.config import Settings, get_settings

__all__ = [
    "InputRefused",
    "SheetExtent",
    "check_size",
    "check_xlsx",
    "clean_text",
    "column_letters",
    "visible",
    "visible_array",
]

#: Control characters (Unicode category Cc): C0, DEL and C1. Line breaks are handled first.
CONTROL_PATTERN = r"[\x00-\x1f\x7f\x{80}-\x{9f}]"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BREAKS = r"[\r\n]+"
#: Largest workbook.xml / relationship part read to find the first sheet.
_SMALL_PART = 16 << 20
_CHUNK = 4 << 20


class InputRefused(ValueError):
    """The file breaks a limit on input files; ``str(exc)`` is a bilingual message."""


def visible(text: str) -> str:
    """``text`` with control characters written as ``\\xNN`` (safe to print and to store).

    >>> visible("张\\x00三\\x1b[2J")
    '张\\\\x00三\\\\x1b[2J'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def visible_array(arr: pa.Array) -> pa.Array:
    """:func:`visible` on every value that holds a control character (others untouched)."""
    if not len(arr) or not _has_control_bytes(arr):
        return arr
    hit = np.asarray(pc.fill_null(pc.match_substring_regex(arr, CONTROL_PATTERN), False))
    if not hit.any():
        return arr
    values = arr.to_pylist()
    for i in np.flatnonzero(hit):
        values[i] = visible(values[i])
    return pa.array(values, pa.string())


def _has_control_bytes(arr: pa.Array) -> bool:
    """Whether the data buffer holds a byte of a control character (C0, DEL, or C1 as C2 8x/9x).

    One numpy pass over the bytes; a False answer is exact, a True answer may come from bytes
    outside the array's slice and is confirmed by the caller.
    """
    data = arr.buffers()[2]
    if data is None:
        return False
    b = np.frombuffer(data, dtype=np.uint8)
    if not b.size:
        return False
    if b.min() < 0x20:
        return True
    if b.max() < 0x7F:  # ASCII without DEL: IDs, dates, amounts (two reductions, no copies)
        return False
    if (b == 0x7F).any():
        return True
    lead = np.flatnonzero(b[:-1] == 0xC2)
    return bool(lead.size and (b[lead + 1] < 0xA0).any())


def clean_text(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(``arr`` with each run of line breaks made one space, rows holding another control char).

    >>> clean, bad = clean_text(pa.array(["张\\r\\n三", "李\\n\\n四", "王\\x00五", "ok", None]))
    >>> clean.to_pylist()[:2], bad.tolist()
    (['张 三', '李 四'], [False, False, True, False, False])
    """
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    none = np.zeros(len(arr), dtype=bool)
    if not len(arr) or not _has_control_bytes(arr):
        return arr, none
    breaks = np.asarray(pc.fill_null(pc.match_substring_regex(arr, _BREAKS), False))
    if breaks.any():
        arr = pc.replace_substring_regex(arr, _BREAKS, " ")
    bad = np.asarray(pc.fill_null(pc.match_substring_regex(arr, CONTROL_PATTERN), False))
    return arr, bad


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB" if n < (1 << 30) else f"{n / (1 << 30):,.1f} GiB"


def check_size(path: Path, settings: Settings | None = None) -> int:
    """The file's size in bytes; refuses a file above ``max_file_bytes``."""
    limit = (settings or get_settings()).max_file_bytes
    size = Path(path).stat().st_size
    if size > limit:
        raise InputRefused(
            f"文件过大（{_mib(size)}，上限 {_mib(limit)}，即 {limit:,} 字节）/ the file is too large "
            f"({size:,} bytes; the limit is {limit:,} bytes, SAFETYNET_MAX_FILE_BYTES)"
        )
    return size


def column_letters(n: int) -> str:
    """Spreadsheet column letters of the 1-based column ``n``.

    >>> column_letters(1), column_letters(26), column_letters(27), column_letters(16384)
    ('A', 'Z', 'AA', 'XFD')
    """
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.decode("ascii") if isinstance(letters, bytes) else letters:
        n = n * 26 + (ord(ch) - 64)
    return n


@dataclass(frozen=True)
class SheetExtent:
    """What the first sheet of a workbook declares and holds."""

    member: str
    declared: str | None  # the <dimension ref=…>, e.g. "A1:L201"
    rows: int  # last row holding a value
    columns: int  # last column holding a value
    cells: int  # cells holding a value


_CELL_R = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\sr="([A-Z]{1,4})([0-9]{1,9})"[^>]*(?<!/)>')
_CELL_NO_R = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\b(?![^>]*\sr=")[^>]*>')
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")
_ATTR_R = re.compile(rb'\sr="([A-Z]{0,4})([0-9]{1,9})"')
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*\sref="([^"]{1,40})"')
_REF = re.compile(r"^\$?([A-Z]{1,4})\$?([0-9]{1,9})$")


def _refuse_extent(what: str, ref: str, columns: int, rows: int) -> InputRefused:
    return InputRefused(
        f"工作表{what}超出范围：{ref}（最多 {columns} 列、{rows:,} 行）/ the sheet's "
        f"{'declared size' if what == '声明的大小' else 'data'} reaches {ref}, beyond the limit of "
        f"{columns} columns ({column_letters(columns)}) and {rows:,} rows"
    )


def check_xlsx(path: Path, *, columns: int, settings: Settings | None = None) -> SheetExtent:
    """Check an XLSX workbook against the limits before any spreadsheet library opens it.

    ``columns`` is the number of columns the file should have (the spec's); the first sheet
    may be up to ``sheet_extra_columns`` wider. Reads the zip directory, then streams every
    member once (the first sheet through a scan of its cell references), so memory stays flat.
    """
    s = settings or get_settings()
    path = Path(path)
    size = check_size(path, s)
    max_cols = columns + s.sheet_extra_columns
    max_rows = s.max_sheet_rows
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # zipfile raises several types for a damaged directory
        raise InputRefused(
            f"不是有效的XLSX文件 / not a valid XLSX file: {visible(str(exc))}"
        ) from None
    with zf:
        infos = zf.infolist()
        unpacked = sum(i.file_size for i in infos)
        limit = min(s.max_xlsx_unpacked_bytes, s.max_xlsx_ratio * max(size, 1))
        if unpacked > limit:
            raise InputRefused(
                f"XLSX解压后过大（{_mib(unpacked)}，文件 {_mib(size)}；上限 {_mib(s.max_xlsx_unpacked_bytes)}"
                f"且不超过文件的 {s.max_xlsx_ratio} 倍）/ the XLSX unpacks to {unpacked:,} bytes "
                f"from {size:,}: more than {s.max_xlsx_ratio} × its size or "
                f"{s.max_xlsx_unpacked_bytes:,} bytes (a zip bomb?)"
            )
        extent: SheetExtent | None = None
        try:
            member = _first_sheet(zf)
            if member not in {i.filename for i in infos}:
                raise InputRefused(
                    f"XLSX中找不到第一个工作表 / the XLSX lacks its first sheet ({visible(member)})"
                )
            for info in infos:
                if info.filename == member:
                    extent = _scan_sheet(zf, info, max_cols, max_rows)
                else:
                    with zf.open(info) as fh:
                        while fh.read(_CHUNK):
                            pass
        except InputRefused:
            raise
        except Exception as exc:  # zipfile, zlib, bz2, lzma, encryption: all mean damaged
            raise InputRefused(
                f"XLSX文件已损坏或无法解压 / the XLSX file is damaged or cannot be unpacked: "
                f"{visible(str(exc) or type(exc).__name__)}"
            ) from None
    assert extent is not None
    return extent


def _read_small(zf: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _SMALL_PART:
        raise InputRefused(f"XLSX的 {name} 过大 / {name} in the XLSX is too large")
    return zf.read(info)


def _first_sheet(zf: zipfile.ZipFile) -> str:
    """The zip member of the workbook's first sheet (the one the readers load)."""
    workbook = _read_small(zf, "xl/workbook.xml")
    rels = _read_small(zf, "xl/_rels/workbook.xml.rels")
    if workbook and rels:
        sheet = re.search(rb"<(?:[\w.-]+:)?sheet\b[^>]*>", workbook)
        rid = re.search(rb'\s[\w.-]+:id="([^"]+)"', sheet.group()) if sheet else None
        if rid:
            for rel in re.finditer(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>", rels):
                tag = rel.group()
                if re.search(rb'\sId="' + re.escape(rid.group(1)) + rb'"', tag):
                    target = re.search(rb'\sTarget="([^"]+)"', tag)
                    if target:
                        t = target.group(1).decode("utf-8", "replace")
                        return t.lstrip("/") if t.startswith("/") else f"xl/{t}"
    names = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/"))
    if not names:
        raise InputRefused("XLSX中没有工作表 / the XLSX has no worksheet")
    return names[0]


def _scan_sheet(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_cols: int, max_rows: int
) -> SheetExtent:
    """Stream the sheet's XML: its declared dimension and the extent of cells with a value."""
    declared: str | None = None
    rows = cols = cells = 0
    unaddressed = False
    carry = b""
    head = True
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b">") + 1
                data, carry = data[:cut], data[cut:]
                if len(carry) > _CHUNK:  # a tag longer than 4 MiB is no sheet
                    raise InputRefused("XLSX工作表格式错误 / malformed sheet XML")
            if head:
                found = _DIMENSION.search(data)
                if found:
                    declared = found.group(1).decode("ascii", "replace")
                    _check_declared(declared, max_cols, max_rows)
                    head = False
                elif b"sheetData" in data:
                    head = False
            found_cells = _CELL_R.findall(data)
            if found_cells:
                cells += len(found_cells)
                cols = max(cols, max(_column_number(c) for c in {c for c, _ in found_cells}))
                rows = max(rows, max(int(r) for _, r in found_cells))
            if not unaddressed and _CELL_NO_R.search(data):
                unaddressed = True
            if cols > max_cols or rows > max_rows:
                raise _refuse_extent("的数据", f"{column_letters(cols)}{rows}", max_cols, max_rows)
            if not chunk:
                break
    if unaddressed:  # cells without an r="A1" reference: count positions row by row
        rows, cols = _scan_positions(zf, info)
        if cols > max_cols or rows > max_rows:
            raise _refuse_extent("的数据", f"{column_letters(cols)}{rows}", max_cols, max_rows)
    return SheetExtent(info.filename, declared, rows, cols, cells)


def _check_declared(ref: str, max_cols: int, max_rows: int) -> None:
    last = ref.split(":")[-1]
    m = _REF.match(last)
    if not m:
        return
    if _column_number(m.group(1)) > max_cols or int(m.group(2)) > max_rows:
        raise _refuse_extent("声明的大小", ref, max_cols, max_rows)


def _scan_positions(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(last row, widest row) counting cells by position, for sheets without cell references."""
    row = rows = cols = col = 0
    carry = b""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            data = carry + chunk
            cut = data.rfind(b">") + 1
            data, carry = data[:cut], data[cut:]
            for m in _CELL_TAG.finditer(data):
                ref = _ATTR_R.search(m.group(2))
                if m.group(1) == b"row":
                    row = int(ref.group(2)) if ref else row + 1
                    col = 0
                    rows = max(rows, row)
                    continue
                col = _column_number(ref.group(1)) if ref and ref.group(1) else col + 1
                if ref and ref.group(2):
                    rows = max(rows, int(ref.group(2)))
                cols = max(cols, col)
    return rows, cols
