"""Vectorised resident-ID checks over pyarrow columns (numpy on an N×18 byte matrix).

Values made only of digits and ``X``/``x`` (nearly all real data) take the numpy path; a value
with any other character (spaces, full-width forms, …) is first cleaned by the scalar code, so
both paths agree exactly with :func:`safetynet.ids.check`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet import ids

_WEIGHTS = tuple(int(w) for w in ids.WEIGHTS)
_CHECK = np.frombuffer(ids.CHECK_CHARS.encode(), dtype=np.uint8)
_ZERO, _X, _x = ord("0"), ord("X"), ord("x")
_PLAIN = np.zeros(256, dtype=bool)  # bytes that need no cleaning
_PLAIN[_ZERO : _ZERO + 10] = True
_PLAIN[[_X, _x]] = True
_MDAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_ERRORS = pa.array(list(ids.ERRORS), type=pa.string())


def _as_string_array(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data) of a string array, offsets relative to ``data``."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + n + 1]
    data_buf = arr.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets.astype(np.int64), data


def _cleaned(raw: pa.Array) -> pa.Array:
    """``raw`` with every value that holds a character other than 0-9, X, x cleaned in Python."""
    offsets, data = _buffers(raw)
    if len(raw) == 0:
        return raw
    lo, hi = int(offsets[0]), int(offsets[-1])
    odd = np.flatnonzero(~_PLAIN[data[lo:hi]]) + lo
    if not len(odd):
        return raw
    rows = np.unique(np.searchsorted(offsets, odd, side="right") - 1)
    fixed = [ids._clean(raw[int(i)].as_py()) for i in rows]
    mask = np.zeros(len(raw), dtype=bool)
    mask[rows] = True
    out = pc.replace_with_mask(raw, pa.array(mask), pa.array(fixed, type=pa.string()))
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _gather(data: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    return data[starts[:, None] + np.arange(width)]


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (proleptic Gregorian), integer arithmetic only."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: np.ndarray = era * 146097 + doe - 719468
    return days


def _strings(mat: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Rows of a byte matrix as a string array, null where ``valid`` is False."""
    n, width = mat.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    data = pa.py_buffer(np.ascontiguousarray(mat))
    mask = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.string(), n, [mask, offsets, data])


def check_array(values: Any, *, today: date) -> pa.Table:
    raw = _as_string_array(values)
    n = len(raw)
    text = _cleaned(raw)
    offsets, data = _buffers(text)
    length = np.diff(offsets)
    if text.null_count:
        length[np.asarray(text.is_null())] = -1
    rows18 = np.flatnonzero(length == 18)
    rows15 = np.flatnonzero(length == 15)

    if len(rows18) == n and n and int(offsets[-1] - offsets[0]) == 18 * n:
        # Every value is 18 bytes: the data buffer already is the matrix.
        mat = data[int(offsets[0]) : int(offsets[-1])].reshape(n, 18).copy()
    else:
        mat = np.zeros((n, 18), dtype=np.uint8)
        mat[rows18] = _gather(data, offsets[rows18], 18)
    if len(rows15):
        m15 = _gather(data, offsets[rows15], 15)
        keep = np.all((m15 - _ZERO) < 10, axis=1)  # uint8 wraps below '0'
        rows15, m15 = rows15[keep], m15[keep]
        conv = np.empty((len(rows15), 18), dtype=np.uint8)
        conv[:, :6] = m15[:, :6]
        conv[:, 6:8] = (ord("1"), ord("9"))
        conv[:, 8:17] = m15[:, 6:]
        total = np.zeros(len(rows15), dtype=np.int32)
        for i, w in enumerate(_WEIGHTS):
            total += (conv[:, i] - _ZERO).astype(np.int32) * w
        conv[:, 17] = _CHECK[total % 11]
        mat[rows15] = conv
    mat[mat == _x] = _X

    dig = (mat - np.uint8(_ZERO)).T.copy()  # 18 × n, each position contiguous; non-digits wrap
    candidate = np.zeros(n, dtype=bool)
    candidate[rows18] = True
    candidate[rows15] = True
    fmt_ok = candidate & (dig[:17].max(axis=0) < 10) & ((dig[17] < 10) | (mat[:, 17] == _X))

    def number(*positions: int) -> np.ndarray:
        value = np.zeros(n, dtype=np.int32)
        for p in positions:
            value = value * 10 + dig[p]
        return value

    year, month, day = number(6, 7, 8, 9), number(10, 11), number(12, 13)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    dim = _MDAYS[np.where(month_ok, month, 0)] + ((month == 2) & leap)
    real = fmt_ok & month_ok & (day >= 1) & (day <= dim)
    days = np.where(real, days_from_civil(year, month, day), 0)
    lo = (ids.MIN_BIRTH - date(1970, 1, 1)).days
    hi = (today - date(1970, 1, 1)).days
    date_ok = real & (days >= lo) & (days <= hi)

    total = np.zeros(n, dtype=np.uint16)  # at most 9 × 10 × 17 = 1530
    for i, w in enumerate(_WEIGHTS):
        total += dig[i].astype(np.uint16) * np.uint16(w)
    expected = _CHECK[np.where(fmt_ok, total % 11, 0)]
    valid = date_ok & (expected == mat[:, 17])

    codes = np.where(~fmt_ok, 0, np.where(~date_ok, 1, 2)).astype(np.int8)
    error = pa.DictionaryArray.from_arrays(pa.array(codes, mask=valid), _ERRORS).cast(pa.string())
    sex_codes = (dig[16] % 2 == 0).astype(np.int8)
    sex = pa.DictionaryArray.from_arrays(
        pa.array(sex_codes, mask=~valid), pa.array(["M", "F"])
    ).cast(pa.string())
    birth = pa.array(days.astype(np.int32), type=pa.int32(), mask=~valid).cast(pa.date32())
    return pa.table(
        {
            "input": raw,
            "normalized": _strings(mat, valid),
            "valid": pa.array(valid),
            "error": error,
            "birth_date": birth,
            "sex": sex,
            "region_code": _strings(mat[:, :6], valid),
        }
    )
