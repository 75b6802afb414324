"""Vectorised resident-ID construction (GB 11643) for synthetic people.

An 18-character ID is ``county6 + YYYYMMDD + seq3 + check``; the last digit of ``seq3`` is odd
for men and even for women. :func:`assign_slots` gives every person a sequence slot that is
unique within (county, birth date, sex), so the IDs of a whole population are unique.

>>> import numpy as np
>>> codes = county_code_matrix(["620102"])
>>> ids = build_ids(codes, np.array([0]), np.array([-7305]), np.array([True]), np.array([0]))
>>> ids.to_pylist()
['620102195001010013']
>>> from safetynet.ids import check
>>> check(ids[0].as_py()).valid
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from safetynet.ids import CHECK_CHARS, WEIGHTS

__all__ = [
    "SLOTS",
    "assign_slots",
    "birth_year",
    "birth_ymd",
    "build_id_matrix",
    "build_ids",
    "county_code_matrix",
    "matrix_to_strings",
    "splitmix64",
]

_W = np.array(WEIGHTS, dtype=np.int64)
_CHECK = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_ZERO = ord("0")
#: Sequence slots per (county, birth date, sex): seq3 = 2 * slot + (1 if male).
SLOTS = 500
_DAY_OFFSET = 30_000  # days before 1970-01-01 that keys can reach (1900 is -25,567)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A fast 64-bit mixing hash, element-wise (deterministic across platforms)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def county_code_matrix(codes: list[str]) -> np.ndarray:
    """The six ASCII digits of each county code as a (counties, 6) uint8 matrix."""
    return np.frombuffer("".join(codes).encode(), dtype=np.uint8).reshape(len(codes), 6)


_FIRST_DAY = -25_567  # 1900-01-01
_LAST_DAY = 47_482  # 2099-12-31


@lru_cache(maxsize=1)
def _date_table() -> tuple[np.ndarray, np.ndarray]:
    """YYYYMMDD as ASCII bytes and the year, for every day of 1900–2099."""
    days = np.arange(_FIRST_DAY, _LAST_DAY + 1).astype("datetime64[D]")
    text = np.char.replace(days.astype("U10"), "-", "").astype("S8")
    digits = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(len(days), 8)
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    return digits, year


def birth_ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (1900–2099).

    >>> [int(v[0]) for v in birth_ymd(np.array([-7305]))]
    [1950, 1, 1]
    """
    digits = _date_table()[0][days - _FIRST_DAY].astype(np.int64) - _ZERO
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    return year, digits[:, 4] * 10 + digits[:, 5], digits[:, 6] * 10 + digits[:, 7]


def birth_year(days: np.ndarray) -> np.ndarray:
    """The year of days since 1970-01-01 (1900–2099)."""
    return np.asarray(_date_table()[1][days - _FIRST_DAY], dtype=np.int64)


def assign_slots(
    county: np.ndarray,
    birth: np.ndarray,
    male: np.ndarray,
    rank: np.ndarray | None = None,
    *,
    upper: bool = False,
) -> np.ndarray:
    """A slot per person, unique within (county, birth date, sex).

    Slots ``0..SLOTS/2-1`` go to people whose ``rank`` within their group is already known
    (the province pool); ``upper`` people (the registry) are ranked here and get the upper
    half, so the two sets never collide.
    """
    key = (county.astype(np.int64) << 18 | (birth.astype(np.int64) + _DAY_OFFSET)) << 1
    key |= male.astype(np.int64)
    half = SLOTS // 2
    if rank is None:
        order = np.argsort(key)
        sk = key[order]
        n = len(sk)
        starts = np.ones(n, dtype=bool)
        starts[1:] = sk[1:] != sk[:-1]
        start_pos = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n) - start_pos
    if len(rank) and rank.max() >= half:
        raise ValueError("too many people share one county, birth date and sex")
    offset = (splitmix64(key) % np.uint64(half)).astype(np.int64)
    return ((rank + offset) % half + (half if upper else 0)).astype(np.int16)


def build_id_matrix(
    codes: np.ndarray, county: np.ndarray, birth: np.ndarray, male: np.ndarray, slot: np.ndarray
) -> np.ndarray:
    """IDs as an (n, 18) ASCII matrix (built digit-major, then transposed once)."""
    n = len(county)
    cols = np.empty((18, n), dtype=np.uint8)
    cols[:6] = codes[county].T
    cols[6:14] = _date_table()[0][birth - _FIRST_DAY].T
    seq = slot.astype(np.int32) * 2 + male.astype(np.int32)
    cols[14] = seq // 100 + _ZERO
    cols[15] = (seq // 10) % 10 + _ZERO
    cols[16] = seq % 10 + _ZERO
    total = np.zeros(n, dtype=np.int32)
    for i in range(17):
        total += (cols[i].astype(np.int32) - _ZERO) * int(_W[i])
    cols[17] = _CHECK[total % 11]
    return np.ascontiguousarray(cols.T)


def matrix_to_strings(mat: np.ndarray) -> pa.Array:
    """Rows of an ASCII byte matrix as a pyarrow string array."""
    n, width = mat.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32).tobytes())
    data = pa.py_buffer(np.ascontiguousarray(mat).tobytes())
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, data])


def build_ids(
    codes: np.ndarray, county: np.ndarray, birth: np.ndarray, male: np.ndarray, slot: np.ndarray
) -> pa.Array:
    """18-character resident IDs as a pyarrow string array."""
    return matrix_to_strings(build_id_matrix(codes, county, birth, male, slot))
