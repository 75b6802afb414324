"""The XLSX (first sheet, via python-calamine) and Parquet readers, streamed in slices of rows.

See :mod:`safetynet.feeds.readers` for row numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from safetynet.feeds._batches import FeedReader, RawBatch, map_header, norm_heading
from safetynet.feeds.specs import FeedRefused, FeedSpec
from safetynet.inputfiles import visible

__all__ = ["PARQUET_ROWS", "XLSX_ROWS", "open_parquet", "open_xlsx"]

XLSX_ROWS = 50_000
PARQUET_ROWS = 128_000


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


def open_xlsx(spec: FeedSpec, path: Path) -> FeedReader:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header = next(rows, [])
    except Exception as exc:  # calamine raises its own error types for broken files
        raise FeedRefused(
            f"Excel文件无法读取 / cannot read the Excel file: {visible(str(exc))}"
        ) from None
    mapping = map_header(spec, [_cell(h) for h in header])
    index = {mapping[str(_cell(h))]: i for i, h in enumerate(header) if str(_cell(h)) in mapping}
    extra = [
        norm_heading(h) for h in header if str(_cell(h)) not in mapping and h not in (None, "")
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


def _parquet_refusal(exc: BaseException) -> FeedRefused:
    first = visible(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    return FeedRefused(f"Parquet文件无法读取（文件损坏？）/ cannot read the Parquet file: {first}")


def _checked(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The batches of a Parquet file; a damaged page refuses the file (nothing is swapped in)."""
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise _parquet_refusal(exc) from None
        yield batch


def _typed_ok(t: pa.DataType, kind: str) -> bool:
    """Whether a typed Parquet column passes to validation as it is."""
    if pa.types.is_string(t):
        return True
    if kind == "date":
        return bool(pa.types.is_date(t) or pa.types.is_timestamp(t))
    if kind == "amount":
        return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t))
    return False


def _parquet_column(col: pa.Array, kind: str, heading: str) -> pa.Array:
    """A Parquet column as validation takes it: text, or a date / number type it understands."""
    try:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        if not _typed_ok(col.type, kind):
            col = pc.cast(col, pa.string())
    except (pa.ArrowException, ValueError):
        raise FeedRefused(
            f"Parquet列“{visible(heading)}”的类型 {col.type} 无法读取为文本 / column "
            f"{visible(heading)!r} has type {col.type}, which cannot be read as text"
        ) from None
    return col


def open_parquet(spec: FeedSpec, path: Path) -> FeedReader:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _parquet_refusal(exc) from None
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
        for batch in _checked(decoded):
            m = batch.num_rows
            cols: dict[str, Any] = {}
            for f in spec.fields:
                if f.name in by_field:
                    heading = by_field[f.name]
                    col = batch.column(batch.schema.get_field_index(heading))
                    cols[f.name] = _parquet_column(col, f.kind, heading)
                else:
                    cols[f.name] = pa.nulls(m, pa.string())
            cols["row_number"] = pa.array(np.arange(number + 1, number + m + 1))
            number += m
            done[0] = number
            yield RawBatch(pa.table(cols))

    return FeedReader(
        "parquet", None, mapping, extra, pf.metadata.num_rows, batches(), lambda: done[0]
    )
