"""Vectorised parsers for feed columns: strict dates and amounts in fen (pyarrow + numpy).

Dates: ``YYYY-MM-DD`` (also ``/`` or ``.`` as separator, ``YYYYMMDD``, a trailing time, and
``2024年1月5日``-style values). Calendar-impossible dates such as 2024-02-30 are errors, never
rolled over. Amounts: yuan with at most two decimals, returned as integer fen.

>>> import pyarrow as pa
>>> days, ok = parse_dates(pa.array(["2024-02-29", "2023-02-29", "2024/1/5", None, "20240105"]))
>>> ok.tolist()
[True, False, True, False, True]
>>> fen, err = parse_amounts(pa.array(["12.5", "-3", "1.234", "x", None]))
>>> fen[:2].tolist(), [AMOUNT_ERRORS[e] for e in err]
([1250, -300], ['', 'amount_negative', 'amount_decimals', 'amount', ''])
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet._ids_vector import days_from_civil as _civil_days

__all__ = [
    "AMOUNT_ERRORS",
    "as_strings",
    "fen_to_decimal",
    "parse_amounts",
    "parse_dates",
    "present_mask",
]

_EPOCH = date(1970, 1, 1)
_ZERO = ord("0")
_LOOSE = re.compile(r"^(\d{4})\D{1,2}(\d{1,2})\D{1,2}(\d{1,2})\D?(?:[ T].*)?$")
_MDAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
MAX_FEN = 10**14 - 1
AMOUNT_ERRORS = (
    "",
    "amount",
    "amount_negative",
    "amount_decimals",
    "amount_too_large",
)  # decimal128(14, 2) holds up to 999,999,999,999.99


def as_strings(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A plain string array, trimmed of surrounding whitespace; empty strings become null.

    >>> as_strings(pa.array([" a ", "b", "", "\u3000", None])).to_pylist()
    ['a', 'b', None, None, None]
    >>> as_strings(pa.array(["12", ""])).to_pylist()
    ['12', None]
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_large_string(arr.type) or not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    offsets, data = _offsets_data(arr)
    empty = offsets[1:] == offsets[:-1]
    if arr.null_count and empty.any():
        empty &= np.asarray(pc.is_valid(arr))
    # Trim only when some value may start or end with whitespace (ASCII space or any non-ASCII
    # byte, e.g. U+3000). A column whose bytes are all printable ASCII (IDs, dates, amounts)
    # cannot, which one min/max over its bytes shows; otherwise look at the edge bytes.
    body = data[offsets[0] : offsets[-1]]
    if body.size and (body.min() <= 32 or body.max() >= 0x80) and _may_need_trim(offsets, data):
        arr = pc.utf8_trim_whitespace(arr)
        empty = np.asarray(pc.fill_null(pc.equal(arr, ""), False))
    if empty.any():
        arr = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), arr)
    return arr


#: Bytes that may begin or end a whitespace character: ASCII whitespace and every non-ASCII byte.
_EDGE = np.zeros(256, dtype=bool)
_EDGE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE[0x80:] = True
_NO_BYTES = np.zeros(0, dtype=np.uint8)


def _offsets_data(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data bytes) of a ``string`` array; offsets index into ``data``."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else _NO_BYTES
    return offsets, data


def _may_need_trim(offsets: np.ndarray, data: np.ndarray) -> bool:
    """Whether some non-empty value starts or ends with a byte of :data:`_EDGE`."""
    starts, ends = offsets[:-1], offsets[1:]
    full = starts < ends
    if not full.all():
        starts, ends = starts[full], ends[full]
    return bool(_EDGE[data[starts]].any() or _EDGE[data[ends - 1]].any())


def present_mask(arr: pa.Array) -> np.ndarray:
    """True where the (trimmed) value is present."""
    return np.asarray(pc.is_valid(arr))


def _matrix(arr: pa.Array, rows: np.ndarray, width: int) -> np.ndarray:
    """The bytes of the values at ``rows`` (all ``width`` bytes long) as a rows × width matrix.

    When every value has that width the data buffer is reshaped in place, without a copy.
    """
    offsets, data = _offsets_data(arr)
    start = int(offsets[0])
    if len(rows) == len(arr) and int(offsets[-1]) - start == width * len(rows):
        return data[start : start + width * len(rows)].reshape(len(rows), width)
    taken: np.ndarray = data[offsets[rows][:, None] + np.arange(width)]
    return taken


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days since 1970-01-01, 0 where not a real date; which are real dates)."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = _MDAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= dim)
    days = np.where(ok, _civil_days(year, month, day), 0)
    return days.astype(np.int64), ok


def _digits(m: np.ndarray, cols: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(all the columns ``cols`` of byte matrix ``m`` are ASCII digits; their number)."""
    ok = np.ones(len(m), dtype=bool)
    value = np.zeros(len(m), dtype=np.int64)
    for c in cols:
        digit = m[:, c] - np.uint8(_ZERO)  # wraps below '0', so "< 10" tests digit-ness
        ok &= digit < 10
        value = value * 10 + digit
    return ok, value


def parse_dates(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and a validity mask (False for null or unparseable values).

    ``values``: trimmed strings (see :func:`as_strings`) or an already-typed date/timestamp
    column (Parquet), which passes through.
    """
    n = len(values)
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        d32 = values.cast(pa.date32()) if not pa.types.is_date32(values.type) else values
        ok = np.asarray(pc.is_valid(d32))
        days = np.asarray(pc.fill_null(d32.cast(pa.int32()), 0)).astype(np.int64)
        return days, ok
    s = values
    offsets, _data = _offsets_data(s)
    length = np.diff(offsets)
    if s.null_count:
        length[~np.asarray(pc.is_valid(s))] = -1
    days = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    done = np.zeros(n, dtype=bool)
    if (length > 10).any():
        # "2024-01-05 00:00:00" / "2024-01-05T08:00" → the date part
        timed = np.asarray(
            pc.fill_null(pc.match_substring_regex(s, r"^\d{4}\D\d\d\D\d\d[ T]"), False)
        )
        if timed.any():
            s = pc.if_else(pa.array(timed), pc.utf8_slice_codeunits(s, 0, 10), s)
            length = np.where(timed, 10, length)
    for width in (10, 8):
        rows = np.flatnonzero(length == width)
        if not len(rows):
            continue
        m = _matrix(s, rows, width)
        if width == 10:
            fmt = (m[:, 4] == m[:, 7]) & np.isin(m[:, 4], _DATE_SEPS)
            ys, y = _digits(m, (0, 1, 2, 3))
            ms, mo = _digits(m, (5, 6))
            ds, dd = _digits(m, (8, 9))
        else:
            ys, y = _digits(m, (0, 1, 2, 3))
            ms, mo = _digits(m, (4, 5))
            ds, dd = _digits(m, (6, 7))
            fmt = np.ones(len(rows), dtype=bool)
        fmt &= ys & ms & ds
        d, real = _days(y, mo, dd)
        if len(rows) == n:
            days, ok, done = d, fmt & real, fmt
        else:
            days[rows] = d
            ok[rows] = fmt & real
            done[rows[fmt]] = True
    rest = np.flatnonzero(~done & (length > 0))
    if len(rest):  # rare loose forms: 2024-1-5, 2024年1月5日
        loose = pc.take(s, pa.array(rest)).to_pylist()
        ys_, ms_, ds_ = (
            np.zeros(len(rest), np.int64),
            np.zeros(len(rest), np.int64),
            np.zeros(len(rest), np.int64),
        )
        for i, text in enumerate(loose):
            hit = _LOOSE.match(text)
            if hit:
                ys_[i], ms_[i], ds_[i] = (int(g) for g in hit.groups())
        d, real = _days(ys_, ms_, ds_)
        days[rest] = d
        ok[rest] = real
    return days, ok


_DATE_SEPS = np.frombuffer(b"-/.", dtype=np.uint8)


def parse_amounts(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Amounts in integer fen and an error index per row into :data:`AMOUNT_ERRORS`.

    Index 0 means fine (or null); the others are ``amount`` (not a number),
    ``amount_negative``, ``amount_decimals`` (more than two decimals), ``amount_too_large``.
    """
    n = len(values)
    err = np.zeros(n, dtype=np.int8)
    if pa.types.is_string(values.type):
        try:
            num = values.cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            cleaned = pc.replace_substring_regex(values, r"[,，¥￥\s]", "")
            good = pc.match_substring_regex(cleaned, r"^[+-]?(\d+\.?\d*|\.\d+)$")
            good_np = np.asarray(pc.fill_null(good, True))
            err[~good_np] = 1
            num = pc.if_else(good, cleaned, pa.scalar(None, pa.string())).cast(pa.float64())
    else:  # typed Parquet column: decimal, integer or floating
        num = values.cast(pa.float64())
    x = np.asarray(pc.fill_null(num, 0.0), dtype=np.float64)
    finite = np.isfinite(x)
    err[~finite & (err == 0)] = 1
    x = np.where(finite, x, 0.0)
    scaled = x * 100.0
    fen = np.rint(scaled)
    decimals = np.abs(scaled - fen) > 1e-6 * np.maximum(1.0, np.abs(scaled))
    err[(err == 0) & decimals] = 3
    err[(err == 0) & (fen < 0)] = 2
    err[(err == 0) & (np.abs(fen) > MAX_FEN)] = 4
    return np.clip(fen, -MAX_FEN, MAX_FEN).astype(np.int64), err


def fen_to_decimal(fen: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Integer fen as ``decimal128(14, 2)`` yuan, null where ``valid`` is False.

    >>> import numpy as np
    >>> fen_to_decimal(np.array([1250, 7]), np.array([True, False])).to_pylist()
    [Decimal('12.50'), None]
    """
    n = len(fen)
    words = np.empty((n, 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = np.where(fen < 0, -1, 0)
    bitmap = None if valid.all() else pa.array(valid).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(14, 2), n, [bitmap, pa.py_buffer(words.tobytes())])
