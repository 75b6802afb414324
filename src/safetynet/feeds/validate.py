"""Vectorised validation of one batch of feed rows against its spec.

Input: an Arrow table whose columns are the spec's field names (strings from CSV/XLSX, or typed
from Parquet) plus ``row_number``. Output: the accepted rows in lake types and one reject record
per (row, field, problem). A row with any problem is quarantined as a whole; a row whose every
field is empty is *blank*: skipped and not counted as read. In text values a run of line
breaks (Excel's Alt+Enter) becomes one space; a value holding any other control character
(NUL, ESC …) or longer than its field's ``max_length`` is quarantined with that reason alone.

>>> import pyarrow as pa
>>> from safetynet.feeds.specs import get_spec
>>> t = pa.table({"record_id": ["D1", "D2", None], "resident_id": ["11010519491231002x", "1", None],
...               "name": ["甲", "乙", None], "death_date": ["2024-01-03", "2024-01-05", None],
...               "row_number": [1, 2, 3]})
>>> out = validate_batch(get_spec("death"), t, month="2024-01", today=date(2024, 6, 1))
>>> out.accepted.column("resident_id").to_pylist(), out.rejects.column("reason").to_pylist()
(['11010519491231002X'], ['id_format'])
>>> out.rows, out.blank
(2, 1)
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet import ids
from safetynet.feeds._vector import (
    AMOUNT_ERRORS,
    as_strings,
    fen_to_decimal,
    parse_amounts,
    parse_dates,
)
from safetynet.feeds.specs import FeedSpec, Field, reason_text
from safetynet.inputfiles import clean_text

__all__ = [
    "ICD10_PATTERN",
    "REJECT_SCHEMA",
    "Checked",
    "lake_schema",
    "make_rejects",
    "month_bounds",
    "validate_batch",
]

#: Letter, two digits, optional dot and up to 4 characters, optional Chinese extension x001.
ICD10_PATTERN = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{0,4}(X[0-9]{3})?)?$"
_ARROW_TYPES = {
    "text": pa.string(),
    "resident_id": pa.string(),
    "code": pa.string(),
    "icd10": pa.string(),
    "date": pa.date32(),
    "amount": pa.decimal128(14, 2),
    "grade": pa.int8(),
    "bool": pa.bool_(),
}
REJECT_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("record_id", pa.string()),
        ("field", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
        ("reason_zh", pa.string()),
        ("reason_en", pa.string()),
    ]
)
_MIN_DAY = (date(1900, 1, 1) - date(1970, 1, 1)).days


def lake_schema(spec: FeedSpec) -> pa.Schema:
    """The Parquet schema of a feed's lake partition (fields, derived columns, row_number)."""
    cols = [(f.name, _ARROW_TYPES[f.kind]) for f in spec.fields]
    cols += [(name, _ARROW_TYPES[kind]) for name, kind in spec.derived]
    return pa.schema([*cols, ("row_number", pa.int64())])


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``.

    >>> month_bounds("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    year, mon = (int(p) for p in month.split("-"))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


@dataclass
class Checked:
    """The outcome of validating one batch."""

    accepted: pa.Table
    rejects: pa.Table
    #: rows read (blank rows excluded) and blank rows skipped
    rows: int
    blank: int
    #: record IDs and row numbers of every non-blank row (for the file-wide duplicate check)
    record_ids: pa.Array
    row_numbers: pa.Array


def make_rejects(
    row_numbers: pa.Array,
    record_ids: pa.Array,
    field: str,
    values: pa.Array,
    reason: str,
    texts: tuple[str, str] | None = None,
) -> pa.Table:
    """Reject records for the given rows, all with the same field and reason."""
    zh, en = texts or reason_text(reason)
    n = len(row_numbers)
    return pa.table(
        [
            row_numbers.cast(pa.int64()),
            record_ids.cast(pa.string()),
            pa.repeat(pa.scalar(field, pa.string()), n),
            values.cast(pa.string()),
            pa.repeat(pa.scalar(reason, pa.string()), n),
            pa.repeat(pa.scalar(zh, pa.string()), n),
            pa.repeat(pa.scalar(en, pa.string()), n),
        ],
        schema=REJECT_SCHEMA,
    )


class _Collector:
    def __init__(self, table: pa.Table, record_ids: pa.Array) -> None:
        self.n = table.num_rows
        self.bad = np.zeros(self.n, dtype=bool)
        self.row_numbers = table.column("row_number").combine_chunks()
        self.record_ids = record_ids
        self.parts: list[pa.Table] = []

    def add(
        self,
        mask: np.ndarray,
        field: str,
        raw: pa.Array,
        reason: str,
        texts: tuple[str, str] | None = None,
        *,
        taken: bool = False,
    ) -> None:
        """Reject the rows in ``mask``; ``raw`` holds every row, or only those if ``taken``."""
        if not mask.any():
            return
        self.bad |= mask
        idx = pa.array(np.flatnonzero(mask))
        values = raw.cast(pa.string()) if raw.type != pa.string() else raw
        self.parts.append(
            make_rejects(
                pc.take(self.row_numbers, idx),
                pc.take(self.record_ids, idx),
                field,
                values if taken else pc.take(values, idx),
                reason,
                texts,
            )
        )


def _raw(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def _is_text(arr: pa.Array) -> bool:
    return bool(pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type))


def validate_batch(
    spec: FeedSpec,
    table: pa.Table,
    *,
    month: str,
    today: date | None = None,
    major_prefixes: Sequence[str] | None = None,
) -> Checked:
    """Check every field and rule of ``spec`` on ``table``; see the module docstring."""
    today = today or ids.today_in_china()
    # Trim every text column once; a row with no value at all is blank.
    raws = {f.name: _raw(table, f.name) for f in spec.fields}
    texts = {name: as_strings(a) for name, a in raws.items() if _is_text(a)}
    # Line breaks inside a value become one space; other control characters are flagged.
    controls: dict[str, np.ndarray] = {}
    for name, a in texts.items():
        texts[name], controls[name] = clean_text(a)
    blank = np.ones(table.num_rows, dtype=bool)
    for name, a in raws.items():
        blank &= ~np.asarray(pc.is_valid(texts.get(name, a)))
    n_blank = int(blank.sum())
    if n_blank:
        keep_rows = pa.array(~blank)
        table = table.filter(keep_rows)
        raws = {k: v.filter(keep_rows) for k, v in raws.items()}
        texts = {k: v.filter(keep_rows) for k, v in texts.items()}
        controls = {k: v[~blank] for k, v in controls.items()}
    record_ids = texts.get(spec.record_id)
    if record_ids is None:
        record_ids = as_strings(raws[spec.record_id])
    col = _Collector(table, record_ids)
    out: dict[str, pa.Array] = {}
    fen_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    day_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    month_end = (month_bounds(month)[1] - date(1970, 1, 1)).days
    today_day = (today - date(1970, 1, 1)).days
    for f in spec.fields:
        raw = raws[f.name]
        s = texts.get(f.name)
        if s is None and f.kind not in ("date", "amount"):
            s = as_strings(raw)  # typed Parquet column where text is expected
        present = np.asarray(pc.is_valid(s if s is not None else raw))
        if f.required:
            col.add(~present, f.name, raw, "missing")
        if s is not None:  # an over-long or control-character value gets that reason only
            long = present & _longer_than(s, f.max_length)
            col.add(long, f.name, raw, "too_long", reason_text("too_long", max=str(f.max_length)))
            ctl = controls.get(f.name)
            if ctl is not None and ctl.any():
                col.add(present & ~long & ctl, f.name, raw, "control_char")
                long = long | ctl
            if long.any():
                present = present & ~long
        if f.kind == "text":
            out[f.name] = s
        elif f.kind == "resident_id":
            checked = ids.check_array(s, today=today)
            error = checked.column("error")
            for code in ids.ERRORS:
                hit = np.asarray(pc.fill_null(pc.equal(error, code), False))
                col.add(present & hit, f.name, raw, f"id_{code}")
            out[f.name] = checked.column("normalized").combine_chunks()
        elif f.kind == "date":
            days, ok = parse_dates(s if s is not None else raw)
            col.add(present & ~ok, f.name, raw, "date")
            in_range = (days >= _MIN_DAY) & (days <= today_day)
            col.add(present & ok & ~in_range, f.name, raw, "date_range")
            if f.name == spec.event_date:
                col.add(
                    present & ok & in_range & (days > month_end), f.name, raw, "date_after_month"
                )
            valid = present & ok
            day_cache[f.name] = (days, valid)
            out[f.name] = pa.array(days.astype(np.int32), pa.int32(), mask=~valid).cast(pa.date32())
        elif f.kind == "amount":
            fen, err = parse_amounts(s if s is not None else raw)
            for i, code in enumerate(AMOUNT_ERRORS):
                if i:
                    col.add(present & (err == i), f.name, raw, code)
            valid = present & (err == 0)
            fen_cache[f.name] = (fen, valid)
            out[f.name] = fen_to_decimal(fen, valid)
        elif f.kind in ("code", "grade"):
            keys = pa.array(list(f.codes), pa.string())
            codes = pa.array(list(f.codes.values()), pa.string())
            idx = pc.index_in(s, value_set=keys)
            known = np.asarray(pc.is_valid(idx))
            allowed = "、".join(f"{k}" for k, v in f.codes.items() if k != v) or ", ".join(
                f.allowed
            )
            why = reason_text("code", allowed=allowed)
            col.add(present & ~known, f.name, raw, "code", why)
            mapped = pc.take(codes, idx)
            out[f.name] = mapped.cast(pa.int8()) if f.kind == "grade" else mapped
        elif f.kind == "icd10":
            upper, shape = _icd10(s)
            col.add(present & ~shape, f.name, raw, "icd10")
            out[f.name] = upper
    _cross_rules(spec, table, col, fen_cache, day_cache)
    for name, _kind in spec.derived:
        if name == "major_disease":
            out[name] = _major(out["icd10"], major_prefixes or ())
    keep = pa.array(~col.bad)
    out["row_number"] = col.row_numbers
    schema = lake_schema(spec)
    accepted = pa.table([out[n] for n in schema.names], schema=schema).filter(keep)
    rejects = pa.concat_tables(col.parts) if col.parts else REJECT_SCHEMA.empty_table()
    return Checked(accepted, rejects, table.num_rows, n_blank, record_ids, col.row_numbers)


def _longer_than(s: pa.Array, limit: int) -> np.ndarray:
    """Where a value has more than ``limit`` characters (bytes bound characters from above,
    so a column whose longest value fits in ``limit`` bytes needs no character count).

    >>> _longer_than(pa.array(["张三", "abc", None]), 2).tolist()
    [False, True, False]
    """
    bufs = s.buffers()
    if not len(s) or bufs[1] is None:
        return np.zeros(len(s), dtype=bool)
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[s.offset : s.offset + len(s) + 1]
    if int(np.diff(offsets).max()) <= limit:
        return np.zeros(len(s), dtype=bool)
    return np.asarray(pc.fill_null(pc.greater(pc.utf8_length(s), limit), False))


def _cross_rules(
    spec: FeedSpec,
    table: pa.Table,
    col: _Collector,
    fens: dict[str, tuple[np.ndarray, np.ndarray]],
    days: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    for parts, total in spec.sums_within:
        t_fen, t_ok = fens[total]
        total_sum = np.zeros(col.n, dtype=np.int64)
        any_part = np.zeros(col.n, dtype=bool)
        for p in parts:
            p_fen, p_ok = fens[p]
            total_sum += np.where(p_ok, p_fen, 0)
            any_part |= p_ok
        over = t_ok & any_part & (total_sum > t_fen)
        names = [spec.field(p) for p in parts]
        texts = reason_text(
            "amount_sum",
            parts="+".join(f.heading for f in names),
            parts_en=" + ".join(f.label_en for f in names),
            total=spec.field(total).heading,
            total_en=spec.field(total).label_en,
        )
        if not over.any():
            continue
        rows = pa.array(np.flatnonzero(over))  # the shown values are built for these rows only
        shown = pc.binary_join_element_wise(
            *[
                pc.binary_join_element_wise(
                    f"{f.heading}=",
                    pc.fill_null(pc.take(_raw(table, f.name), rows).cast(pa.string()), ""),
                    "",
                )
                for f in [*names, spec.field(total)]
            ],
            "; ",
        )
        col.add(over, "+".join(parts), shown, "amount_sum", texts, taken=True)
    for later, earlier in spec.not_before:
        a, a_ok = days[later]
        b, b_ok = days[earlier]
        e: Field = spec.field(earlier)
        texts = reason_text("date_order", other=e.heading, other_en=e.label_en)
        col.add(a_ok & b_ok & (a < b), later, _raw(table, later), "date_order", texts)


def _icd10(codes: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Upper-cased codes and where they have the ICD-10 shape (null: False).

    A diagnosis column holds few distinct codes, so both steps run on its dictionary.

    >>> upper, ok = _icd10(pa.array(["i63.9", None, "X1", "i63.9"]))
    >>> upper.to_pylist(), ok.tolist()
    (['I63.9', None, 'X1', 'I63.9'], [True, False, False, True])
    """
    encoded = pc.dictionary_encode(codes)
    words = pc.utf8_upper(encoded.dictionary)
    fits = np.asarray(pc.fill_null(pc.match_substring_regex(words, ICD10_PATTERN), False))
    upper = pc.take(words, encoded.indices)
    if not len(fits):
        return upper, np.zeros(len(codes), dtype=bool)
    index = np.asarray(pc.fill_null(encoded.indices, 0))
    return upper, fits[index] & np.asarray(pc.is_valid(encoded.indices))


def _major(icd10: pa.Array, prefixes: Sequence[str]) -> pa.Array:
    """True where the code starts with one of ``prefixes`` (dots ignored on both sides).

    Tested on the column's distinct codes only.

    >>> _major(pa.array(["C34.1", None, "I10", "C34.1"]), ["C3.4"]).to_pylist()
    [True, False, False, True]
    """
    encoded = pc.dictionary_encode(icd10)
    bare = pc.replace_substring(encoded.dictionary, ".", "")
    hit = np.zeros(len(bare), dtype=bool)
    for prefix in prefixes:
        key = str(prefix).upper().replace(".", "")
        hit |= np.asarray(pc.fill_null(pc.starts_with(bare, key), False))
    if not len(hit):
        return pa.array(np.zeros(len(icd10), dtype=bool))
    index = np.asarray(pc.fill_null(encoded.indices, 0))
    return pa.array(hit[index] & np.asarray(pc.is_valid(encoded.indices)))
