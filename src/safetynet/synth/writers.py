"""File writers: CSV (UTF-8, UTF-8 with BOM, GB18030), Parquet and a fast XLSX writer.

All writers are deterministic: the same table gives byte-identical files. The XLSX writer
builds the sheet XML with Arrow string kernels (inline strings, no shared-string table) and
zips it with fixed timestamps; it writes one sheet with the headings in row 1, every cell as
text, empty cells left out.

>>> import pyarrow as pa, tempfile, pathlib
>>> from python_calamine import CalamineWorkbook
>>> t = pa.table({"姓名": ["张三", None], "等级": ["一级", "2"]})
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.xlsx"
>>> _ = write_xlsx(t, p)
>>> CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
[['姓名', '等级'], ['张三', '一级'], ['', '2']]
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["write_csv", "write_parquet", "write_xlsx"]


def write_csv(table: pa.Table, path: Path, encoding: str = "utf-8") -> Path:
    """CSV with a header; ``encoding`` is ``utf-8``, ``utf-8-sig`` (BOM) or ``gb18030``."""
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    data = sink.getvalue()
    if encoding == "gb18030":
        data = data.decode("utf-8").encode("gb18030")
    elif encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def write_parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, compression="zstd", row_group_size=1 << 20)
    return path


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _escape(arr: pa.Array) -> pa.Array:
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        arr = pc.replace_substring(arr, a, b)
    return arr


def _sheet_xml(table: pa.Table) -> bytes:
    n = table.num_rows
    rownum = pc.cast(pa.array(np.arange(2, n + 2, dtype=np.int64)), pa.string())
    cells = []
    for i, col in enumerate(table.columns):
        values = _escape(pc.cast(col.combine_chunks(), pa.string()))
        ref = pc.binary_join_element_wise(_col_letter(i), rownum, "")
        cell = pc.binary_join_element_wise(
            '<c r="', ref, '" t="inlineStr"><is><t>', values, "</t></is></c>", ""
        )
        cells.append(
            pc.if_else(
                pc.is_null(values), pc.binary_join_element_wise('<c r="', ref, '"/>', ""), cell
            )
        )
    rows = pc.binary_join_element_wise('<row r="', rownum, '">', *cells, "</row>", "")
    head = "".join(
        f'<c r="{_col_letter(i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(table.column_names)
    )
    body = _concat(rows) if n else b""
    start = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{head}</row>'
    ).encode()
    return start + body + b"</sheetData></worksheet>"


def _concat(arr: pa.Array) -> bytes:
    """All values of a null-free string array joined, straight from its data buffer."""
    arr = pa.concat_arrays([arr]) if arr.offset else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)
    data = arr.buffers()[2]
    return data.to_pybytes()[offsets[0] : offsets[len(arr)]] if data is not None else b""


def write_xlsx(table: pa.Table, path: Path) -> Path:
    """One-sheet XLSX (headings in row 1, every value as text)."""
    parts = {
        "[Content_Types].xml": _CT.encode(),
        "_rels/.rels": _RELS.encode(),
        "xl/workbook.xml": _WORKBOOK.encode(),
        "xl/_rels/workbook.xml.rels": _WB_RELS.encode(),
        "xl/worksheets/sheet1.xml": _sheet_xml(table),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=1)
    return path
