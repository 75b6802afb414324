"""Vectorised resident-ID checks over pyarrow columns (numpy on an N×18 byte matrix).

Pure-ASCII values (nearly all real data) take the numpy path; the rare value with full-width
or other non-ASCII characters is pre-cleaned by the scalar code, so both paths agree exactly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet import ids

_WEIGHTS = np.array(ids.WEIGHTS, dtype=np.int64)
_CHECK = np.frombuffer(ids.CHECK_CHARS.encode(), dtype=np.uint8)
# Characters Python's str.isspace() accepts in ASCII.
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_ZERO, _NINE, _X = ord("0"), ord("9"), ord("X")


def _as_string_array(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values


def _clean(arr: pa.Array) -> pa.Array:
    """Whitespace removed, full-width → ASCII, x → X; the same as ``ids._clean``."""
    ascii_mask = pc.fill_null(pc.string_is_ascii(arr), True)
    out = pc.replace_substring(pc.replace_substring_regex(arr, _ASCII_SPACE, ""), "x", "X")
    if not pc.all(ascii_mask).as_py():
        idx = np.flatnonzero(~np.asarray(ascii_mask))
        fixed = [ids._clean(arr[int(i)].as_py()) for i in idx]
        mask = pa.array(~np.asarray(ascii_mask))
        out = pc.replace_with_mask(out, mask, pa.array(fixed, type=pa.string()))
    return out


def _matrix(arr: pa.Array, rows: np.ndarray, width: int) -> np.ndarray:
    """The bytes of ``arr[rows]`` (all exactly ``width`` bytes long) as a (len(rows), width) matrix."""
    if not len(rows):
        return np.zeros((0, width), dtype=np.uint8)
    taken = pc.take(arr, pa.array(rows, type=pa.int64()))
    offsets = np.frombuffer(taken.buffers()[1], dtype=np.int32)
    data = np.frombuffer(taken.buffers()[2], dtype=np.uint8)
    start = int(offsets[taken.offset])
    return data[start : start + width * len(rows)].reshape(len(rows), width)


def _strings(mat: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Rows of a byte matrix as a string array, null where ``valid`` is False."""
    n, width = mat.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32).tobytes())
    data = pa.py_buffer(np.ascontiguousarray(mat).tobytes())
    arr = pa.Array.from_buffers(pa.string(), n, [None, offsets, data])
    return pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.string()))


def _dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 for valid (year, month, day) triples; garbage elsewhere."""
    y = (year - 1970).astype("datetime64[Y]")
    m = y.astype("datetime64[M]") + (np.clip(month, 1, 12) - 1).astype("timedelta64[M]")
    d = m.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1).astype("timedelta64[D]")
    return d.astype(np.int64)


def check_array(values: Any, *, today: date) -> pa.Table:
    raw = _as_string_array(values)
    n = len(raw)
    text = _clean(raw)
    length = np.asarray(pc.fill_null(pc.binary_length(text), -1))
    is_ascii = np.asarray(pc.fill_null(pc.string_is_ascii(text), False))
    rows18 = np.flatnonzero((length == 18) & is_ascii)
    rows15 = np.flatnonzero((length == 15) & is_ascii)

    mat = np.zeros((n, 18), dtype=np.uint8)
    candidate = np.zeros(n, dtype=bool)
    mat[rows18] = _matrix(text, rows18, 18)
    candidate[rows18] = True
    if len(rows15):
        m15 = _matrix(text, rows15, 15)
        digits15 = np.all((m15 >= _ZERO) & (m15 <= _NINE), axis=1)
        rows15, m15 = rows15[digits15], m15[digits15]
        conv = np.empty((len(rows15), 18), dtype=np.uint8)
        conv[:, :6] = m15[:, :6]
        conv[:, 6] = ord("1")
        conv[:, 7] = ord("9")
        conv[:, 8:17] = m15[:, 6:]
        conv[:, 17] = _CHECK[((conv[:, :17].astype(np.int64) - _ZERO) @ _WEIGHTS) % 11]
        mat[rows15] = conv
        candidate[rows15] = True

    body = mat[:, :17]
    fmt_ok = candidate & np.all((body >= _ZERO) & (body <= _NINE), axis=1)
    last = mat[:, 17]
    fmt_ok &= ((last >= _ZERO) & (last <= _NINE)) | (last == _X)

    dig = mat.astype(np.int64) - _ZERO
    year = dig[:, 6] * 1000 + dig[:, 7] * 100 + dig[:, 8] * 10 + dig[:, 9]
    month = dig[:, 10] * 10 + dig[:, 11]
    day = dig[:, 12] * 10 + dig[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    mdays = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    dim = mdays[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= dim) & (year >= 1)
    days = np.where(real & fmt_ok, _dates(np.where(real, year, 1970), month, day), 0)
    lo = (ids.MIN_BIRTH - date(1970, 1, 1)).days
    hi = (today - date(1970, 1, 1)).days
    date_ok = fmt_ok & real & (days >= lo) & (days <= hi)

    expected = _CHECK[(np.where(fmt_ok[:, None], dig[:, :17], 0) @ _WEIGHTS) % 11]
    valid = date_ok & (expected == last)

    error = np.full(n, None, dtype=object)
    error[~fmt_ok] = "format"
    error[fmt_ok & ~date_ok] = "birth_date"
    error[date_ok & ~valid] = "check_digit"

    sex_codes = np.where(dig[:, 16] % 2 == 1, 0, 1).astype(np.int8)
    sex = pa.DictionaryArray.from_arrays(
        pa.array(sex_codes, mask=~valid), pa.array(["M", "F"])
    ).cast(pa.string())
    birth = pa.array(days.astype(np.int32), type=pa.int32(), mask=~valid).cast(pa.date32())
    return pa.table(
        {
            "input": raw,
            "normalized": _strings(mat, valid),
            "valid": pa.array(valid),
            "error": pa.array(error, type=pa.string()),
            "birth_date": birth,
            "sex": sex,
            "region_code": _strings(mat[:, :6], valid),
        }
    )
