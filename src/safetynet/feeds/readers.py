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
(a truncated last line), which quarantines that line.
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

from safetynet.feeds.specs import FeedRefused, FeedSpec
from safetynet.feeds.validate import REJECT_SCHEMA, make_rejects

__all__ = ["FeedReader", "FeedRefused", "RawBatch", "detect_format", "map_header", "open_feed"]

SAMPLE = 1 << 20
CSV_BLOCK = 16 << 20
AHEAD_BLOCKS = 3
XLSX_ROWS = 50_000
PARQUET_ROWS = 128_000
ROW_FIELD = "(整行 / row)"


@dataclass
class RawBatch:
    table: pa.Table
    #: reject records for lines that could not be parsed into fields (wrong column count…)
    malformed: pa.Table = field(default_factory=REJECT_SCHEMA.empty_table)
    #: blank lines the reader itself skipped (e.g. whitespace-only lines)
    blank: int = 0


@dataclass
class FeedReader:
    """An opened feed file: what was detected, and its batches."""

    format: str
    encoding: str | None
    columns: dict[str, str]  # file heading → field name
    extra_columns: list[str]
    total: int  # progress units (bytes for CSV, rows otherwise)
    batches: Iterator[RawBatch]
    progress: Callable[[], int]
    #: True when the hasher given to :func:`open_feed` saw every byte of the file
    hashed: bool = False


def _norm_heading(name: Any) -> str:
    text = "" if name is None else str(name)
    return text.replace("\ufeff", "").replace("\u3000", " ").strip()


def map_header(spec: FeedSpec, names: list[Any]) -> dict[str, str]:
    """File heading → field name; refuses duplicates and missing required columns.

    A heading may be the Chinese heading or the English field name (any case).
    """
    lookup = {f.heading: f.name for f in spec.fields}
    lookup |= {f.name.lower(): f.name for f in spec.fields}
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    for raw in names:
        head = _norm_heading(raw)
        target = lookup.get(head) or lookup.get(head.lower())
        if target is None:
            continue
        if target in seen:
            raise FeedRefused(
                f"列重复 / duplicate column: {seen[target]!r} 和 / and {head!r} ({target})"
            )
        seen[target] = head
        mapping[str(raw)] = target
    missing = [f for f in spec.fields if f.required and f.name not in seen]
    if missing:
        if len(missing) == len([f for f in spec.fields if f.required]):
            raise FeedRefused(
                f"找不到表头（{spec.title_zh}）/ no known column headings for {spec.source}; "
                f"expected: {'、'.join(spec.headings)}; found: {', '.join(map(_norm_heading, names))}"
            )
        cols = ", ".join(f"{f.heading} ({f.name})" for f in missing)
        raise FeedRefused(f"缺少必填列 / missing required column(s): {cols}")
    return mapping


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
    if fmt == "parquet":
        return _open_parquet(spec, path)
    if fmt == "xlsx":
        return _open_xlsx(spec, path)
    return _open_csv(spec, path, hasher)


# --- CSV ----------------------------------------------------------------------------------


class _Source(io.RawIOBase):
    """A byte stream for pyarrow: the file as is (UTF-8) or transcoded to UTF-8 (GB18030)."""

    def __init__(self, path: Path, encoding: str | None, hasher: Any = None) -> None:
        self.fh: BinaryIO = path.open("rb")
        self.hasher = hasher
        # pyarrow reads ahead as fast as it can; hold it to a few blocks past what the
        # consumer has taken so memory stays flat on files of any size.
        self.consumed = 0
        self.turn = threading.Condition()
        self.pos = 0
        self.decoder = codecs.getincrementaldecoder(encoding)("strict") if encoding else None
        self.buf = bytearray()
        self.eof = False
        self.broken_tail = False
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.fh.close()
        super().close()

    def taken(self, batches: int) -> None:
        """The consumer has taken ``batches`` batches (about one block each)."""
        with self.turn:
            self.consumed = batches
            self.turn.notify_all()

    def _throttle(self) -> None:
        with self.turn:
            self.turn.wait_for(
                lambda: self.pos <= (self.consumed + AHEAD_BLOCKS) * CSV_BLOCK, timeout=2.0
            )

    def read(self, size: int = -1) -> bytes:
        self._throttle()
        if self.decoder is None:
            chunk = self.fh.read(size)
            self.pos += len(chunk)
            if self.hasher is not None:
                self.hasher.update(chunk)
            return chunk
        size = size if size >= 0 else 1 << 62
        while len(self.buf) < size and not self.eof:
            chunk = self.fh.read(max(size, 1 << 20) if size < 1 << 62 else 1 << 24)
            self.pos += len(chunk)
            if self.hasher is not None:
                self.hasher.update(chunk)
            if not chunk:
                self.eof = True
                try:
                    text = self.decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    text, self.broken_tail = "\ufffd", True
            else:
                try:
                    text = self.decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    self.error = f"byte offset ≈ {self.pos - len(chunk) + exc.start}"
                    raise
            self.buf += text.encode("utf-8")
        out = bytes(self.buf[:size])
        del self.buf[:size]
        return out


def _detect_encoding(spec: FeedSpec, sample: bytes) -> tuple[str | None, str, list[str]]:
    """(transcode-from encoding or None for UTF-8, label, heading row)."""
    if b"\x00" in sample:
        raise FeedRefused(
            "不是文本文件（含空字节，可能是UTF-16或二进制）/ not a text CSV (NUL bytes)"
        )
    label, text = "utf-8", None
    if sample.startswith(codecs.BOM_UTF8):
        label, sample = "utf-8-sig", sample[3:]
    try:
        text = codecs.getincrementaldecoder("utf-8")("strict").decode(sample)
    except UnicodeDecodeError:
        if label == "utf-8-sig":
            raise FeedRefused(
                "文件有UTF-8标记但内容不是UTF-8 / UTF-8 BOM but invalid UTF-8"
            ) from None
    if text is not None:
        return None, label, _heading_row(text)
    try:
        text = codecs.getincrementaldecoder("gb18030")("strict").decode(sample)
    except UnicodeDecodeError:
        text = None
    if text is not None:
        header = _heading_row(text)
        try:
            map_header(spec, header)
        except FeedRefused:
            pass
        else:
            return "gb18030", "gb18030", header
    raise FeedRefused(
        "无法识别文件编码（应为UTF-8、带BOM的UTF-8或GB18030/GBK）/ cannot tell the encoding: "
        "save the file as UTF-8 or GB18030"
    )


def _heading_row(text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return next(csv.reader([first], delimiter=delimiter), [])


def _open_csv(spec: FeedSpec, path: Path, hasher: Any = None) -> FeedReader:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE)
    if not sample.strip():
        raise FeedRefused(f"文件为空 / the file is empty: {path.name}")
    encoding, label, header = _detect_encoding(spec, sample)
    mapping = map_header(spec, header)
    first = sample.split(b"\n", 1)[0]
    delimiter = "\t" if first.count(b"\t") > first.count(b",") else ","
    width = len(header)
    generated = [f"c{i}" for i in range(width)]
    by_field = {mapping[h]: generated[i] for i, h in enumerate(header) if h in mapping}
    extra = [_norm_heading(h) for h in header if h not in mapping]
    source = _Source(path, encoding, hasher)
    invalid: list[tuple[int, str, int]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((row.number, row.text, row.actual_columns))
        return "skip"

    try:
        reader = pv.open_csv(
            source,
            read_options=pv.ReadOptions(
                use_threads=False, block_size=CSV_BLOCK, skip_rows=1, column_names=generated
            ),
            parse_options=pv.ParseOptions(
                delimiter=delimiter, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(generated, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                include_columns=list(by_field.values()),
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        source.close()
        raise _refusal(exc, source) from None

    def batches() -> Iterator[RawBatch]:
        parsed = used = taken = 0
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                    raise _refusal(exc, source) from None
                m = batch.num_rows
                taken += 1
                source.taken(taken)
                skipped = np.array(sorted(r[0] - 1 for r in invalid), dtype=np.int64)
                adj = skipped - np.arange(len(skipped))
                k = np.arange(parsed + 1, parsed + m + 1, dtype=np.int64)
                numbers = k + np.searchsorted(adj, k, side="right")
                parsed += m
                cols = {
                    f.name: (
                        batch.column(batch.schema.get_field_index(by_field[f.name]))
                        if f.name in by_field
                        else pa.nulls(m, pa.string())
                    )
                    for f in spec.fields
                }
                cols["row_number"] = pa.array(numbers)
                new = invalid[used:]
                used = len(invalid)
                table = pa.table(cols)
                malformed, blank = _malformed(new, width)
                if source.broken_tail:  # an incomplete character at the end of a cut file
                    table, broken = _split_broken(table, spec)
                    malformed = pa.concat_tables([malformed, broken])
                yield RawBatch(table, malformed, blank)
            new = invalid[used:]
            if new:
                yield RawBatch(_empty_table(spec), *_malformed(new, width))
        finally:
            source.close()

    return FeedReader(
        "csv",
        label,
        mapping,
        extra,
        path.stat().st_size,
        batches(),
        lambda: source.pos,
        hashed=hasher is not None,
    )


def _refusal(exc: BaseException, source: _Source) -> FeedRefused:
    if isinstance(exc, UnicodeDecodeError) or source.error:
        return FeedRefused(
            f"文件中有无法解码的字符（编码混杂？）/ undecodable bytes in the file ({source.error})"
        )
    text = str(exc)
    if "UTF8" in text or "utf8" in text.lower():
        return FeedRefused(
            "文件中有非UTF-8字符（编码混杂？）/ bytes that are not UTF-8 (mixed encodings?)"
        )
    return FeedRefused(f"CSV无法解析 / cannot parse the CSV: {text.splitlines()[0]}")


def _malformed(rows: list[tuple[int, str, int]], width: int) -> tuple[pa.Table, int]:
    blank = [r for r in rows if not r[1].strip()]
    bad = [r for r in rows if r[1].strip()]
    if not bad:
        return REJECT_SCHEMA.empty_table(), len(blank)
    parts = []
    for reason in ("columns_short", "columns_long"):
        sel = [r for r in bad if (r[2] < width) == (reason == "columns_short")]
        if sel:
            parts.append(
                make_rejects(
                    pa.array([r[0] - 1 for r in sel], pa.int64()),
                    pa.array([r[1].split(",", 1)[0] or None for r in sel], pa.string()),
                    ROW_FIELD,
                    pa.array([r[1][:500] for r in sel], pa.string()),
                    reason,
                )
            )
    return pa.concat_tables(parts), len(blank)


def _split_broken(table: pa.Table, spec: FeedSpec) -> tuple[pa.Table, pa.Table]:
    """Rows holding U+FFFD (only the cut last line can) leave the table as reject records."""
    mask = np.zeros(table.num_rows, dtype=bool)
    for f in spec.fields:
        hit = pc.match_substring(table.column(f.name), "\ufffd")
        mask |= np.asarray(pc.fill_null(hit, False))
    if not mask.any():
        return table, REJECT_SCHEMA.empty_table()
    bad = table.filter(pa.array(mask))
    values = pc.binary_join_element_wise(
        *[pc.fill_null(bad.column(f.name), "") for f in spec.fields], ","
    )
    rejects = make_rejects(
        bad.column("row_number").combine_chunks(),
        bad.column(spec.record_id).combine_chunks(),
        ROW_FIELD,
        values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values,
        "encoding",
    )
    return table.filter(pa.array(~mask)), rejects


def _empty_table(spec: FeedSpec) -> pa.Table:
    cols: dict[str, pa.Array] = {f.name: pa.array([], pa.string()) for f in spec.fields}
    cols["row_number"] = pa.array([], pa.int64())
    return pa.table(cols)


# --- XLSX ---------------------------------------------------------------------------------


def _cell(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        text = str(value.isoformat())
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _open_xlsx(spec: FeedSpec, path: Path) -> FeedReader:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = next(rows, [])
    except Exception as exc:  # calamine raises its own error types for broken files
        raise FeedRefused(f"Excel文件无法读取 / cannot read the Excel file: {exc}") from None
    mapping = map_header(spec, [_cell(h) for h in header])
    index = {mapping[str(_cell(h))]: i for i, h in enumerate(header) if str(_cell(h)) in mapping}
    extra = [
        _norm_heading(h) for h in header if str(_cell(h)) not in mapping and h not in (None, "")
    ]
    total = max(int(sheet.height) - 1, 0)
    done = [0]

    def batches() -> Iterator[RawBatch]:
        number = 0
        while True:
            chunk: list[list[Any]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= XLSX_ROWS:
                    break
            if not chunk:
                return
            cols: dict[str, pa.Array] = {}
            for f in spec.fields:
                i = index.get(f.name)
                values = [_cell(r[i]) if i is not None and i < len(r) else None for r in chunk]
                cols[f.name] = pa.array(values, pa.string())
            cols["row_number"] = pa.array(np.arange(number + 1, number + len(chunk) + 1))
            number += len(chunk)
            done[0] = number
            yield RawBatch(pa.table(cols))

    return FeedReader("xlsx", None, mapping, extra, total, batches(), lambda: done[0])


# --- Parquet ------------------------------------------------------------------------------


def _open_parquet(spec: FeedSpec, path: Path) -> FeedReader:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FeedRefused(f"Parquet文件无法读取 / cannot read the Parquet file: {exc}") from None
    names = pf.schema_arrow.names
    mapping = map_header(spec, names)
    by_field = {v: k for k, v in mapping.items()}
    extra = [n for n in names if n not in mapping]
    done = [0]

    def batches() -> Iterator[RawBatch]:
        number = 0
        # One decoding thread: the reader already runs beside validation and writing, and
        # pyarrow's column-parallel decoding costs more CPU than it saves here.
        decoded = pf.iter_batches(batch_size=PARQUET_ROWS, columns=list(mapping), use_threads=False)
        for batch in decoded:
            m = batch.num_rows
            cols: dict[str, Any] = {}
            for f in spec.fields:
                if f.name in by_field:
                    col = batch.column(batch.schema.get_field_index(by_field[f.name]))
                    if pa.types.is_dictionary(col.type):
                        col = col.cast(col.type.value_type)
                    if pa.types.is_large_string(col.type):
                        col = col.cast(pa.string())
                    if f.kind not in ("date", "amount") and not pa.types.is_string(col.type):
                        col = pc.cast(col, pa.string())
                    cols[f.name] = col
                else:
                    cols[f.name] = pa.nulls(m, pa.string())
            cols["row_number"] = pa.array(np.arange(number + 1, number + m + 1))
            number += m
            done[0] = number
            yield RawBatch(pa.table(cols))

    return FeedReader(
        "parquet", None, mapping, extra, pf.metadata.num_rows, batches(), lambda: done[0]
    )
