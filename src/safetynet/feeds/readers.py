"""Streaming readers for department files: CSV, XLSX and Parquet, in Arrow batches.

Every reader yields :class:`RawBatch` objects whose table has one column per spec field (named
by the field, e.g. ``resident_id``) plus ``row_number``. Memory stays flat: CSV is parsed block
by block, Parquet row group by row group, XLSX in slices of rows.

**Row numbers.** ``row_number`` is the 1-based line of the record in the file, not counting the
header: the first data line is 1 and a blank line keeps its number (it is skipped, so numbers
may have gaps). For XLSX it is the sheet row minus the heading row; for Parquet the row's
position. A quoted CSV value spanning several lines counts as one line.

**Encodings.** UTF-8 (with or without BOM) and GB18030 (a superset of GBK and GB2312). A file
that is not valid UTF-8 is tried as GB18030 only if its heading row then names the spec's
columns; otherwise it is refused. A byte sequence that is invalid in the detected encoding
anywhere in the file refuses the whole file — except an incomplete character at the very end
(a truncated last line), which quarantines that line. Lines must end in LF or CRLF; a file
whose lines end in CR alone (old Mac format) is refused with a message saying so.

**Limits.** Before a reader starts, the file is checked against the limits on input files
(:mod:`safetynet.inputfiles`): its size, and for an XLSX its unpacked size and the first
sheet's declared and real extent (width ≤ the spec's columns + 20, height ≤ 10 M rows).

The readers themselves live in private modules: :mod:`._csv` (CSV and encodings) and
:mod:`._xlsx_parquet`; :mod:`._batches` holds the shared types and the heading mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetynet.feeds._batches import FeedReader, RawBatch, map_header
from safetynet.feeds._csv import open_csv
from safetynet.feeds._xlsx_parquet import open_parquet, open_xlsx
from safetynet.feeds.specs import FeedRefused, FeedSpec
from safetynet.inputfiles import InputRefused, check_size, check_xlsx

__all__ = ["FeedReader", "FeedRefused", "RawBatch", "detect_format", "map_header", "open_feed"]


def detect_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``parquet`` from the file's first bytes and name; refuses others."""
    if not path.is_file():
        raise FeedRefused(f"文件不存在 / file not found: {path}")
    with path.open("rb") as fh:
        head = fh.read(8)
    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        if suffix in (".xlsx", ".xlsm", ""):
            return "xlsx"
        raise FeedRefused(f"不支持的压缩文件 / a zip archive, not a feed file: {path.name}")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FeedRefused(
            f"旧版Excel（.xls）不支持，请另存为 .xlsx 或 CSV / old .xls format: save {path.name} "
            "as .xlsx or CSV"
        )
    if suffix in (".parquet", ".xlsx"):
        raise FeedRefused(f"文件内容不是 {suffix} 格式 / {path.name} is not a valid {suffix} file")
    if suffix not in (".csv", ".txt", ".tsv"):
        raise FeedRefused(
            f"不支持的文件类型 / unsupported file type {suffix or '(none)'}: use .csv, .xlsx or .parquet"
        )
    return "csv"


def open_feed(spec: FeedSpec, path: Path, hasher: Any = None) -> FeedReader:
    """Open ``path`` for ``spec``; raises :class:`FeedRefused` if it cannot be read at all.

    A CSV is streamed through ``hasher`` (a ``hashlib`` object) while it is read, which saves a
    second pass over the file; :attr:`FeedReader.hashed` says whether that happened.
    """
    path = Path(path)
    fmt = detect_format(path)
    try:
        if fmt == "xlsx":  # the zip and the sheet's extent, before calamine builds its grid
            check_xlsx(path, columns=len(spec.fields))
        else:
            check_size(path)
    except InputRefused as exc:
        raise FeedRefused(str(exc)) from None
    if fmt == "parquet":
        return open_parquet(spec, path)
    if fmt == "xlsx":
        return open_xlsx(spec, path)
    return open_csv(spec, path, hasher)
