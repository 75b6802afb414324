"""What every feed reader returns (:class:`RawBatch`, :class:`FeedReader`) and the mapping of a
file's headings to spec fields; used by the CSV, XLSX and Parquet readers (see
:mod:`safetynet.feeds.readers`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from safetynet.feeds.specs import FeedRefused, FeedSpec
from safetynet.feeds.validate import REJECT_SCHEMA

__all__ = ["ROW_FIELD", "FeedReader", "RawBatch", "map_header", "norm_heading"]

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


def norm_heading(name: Any) -> str:
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
        head = norm_heading(raw)
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
                f"expected: {'、'.join(spec.headings)}; found: {', '.join(map(norm_heading, names))}"
            )
        cols = ", ".join(f"{f.heading} ({f.name})" for f in missing)
        raise FeedRefused(f"缺少必填列 / missing required column(s): {cols}")
    return mapping
