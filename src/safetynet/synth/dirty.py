"""Dirty rows, mixed into every feed file at a known rate and counted exactly.

About 1.5 % of the rows of each file get exactly one defect, of one of these kinds:

========================  ==============================================  ===============
kind                      what                                            outcome
========================  ==============================================  ===============
``id15``                  first-generation 15-digit ID (born 19xx)        recoverable
``lower_x``               check character written as lowercase ``x``      recoverable
``bad_check``             wrong check digit                               rejected
``missing_field``         a required field empty (ID, name, event date,   rejected
                          hospital, diagnosis)
``bad_date``              impossible event date (2024-02-30, month 13…)   rejected
``negative_amount``       negative out-of-pocket amount or tuition        rejected
``unknown_code``          a level, grade, type or reason not in the list  rejected
========================  ==============================================  ===============
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet import codes
from safetynet.feeds.specs import get_spec
from safetynet.ids import CHECK_CHARS, WEIGHTS
from safetynet.synth.idgen import matrix_to_strings

__all__ = ["DIRTY_RATE", "KINDS", "RECOVERABLE", "inject"]

DIRTY_RATE = 0.015
KINDS = (
    "id15",
    "lower_x",
    "bad_check",
    "missing_field",
    "bad_date",
    "negative_amount",
    "unknown_code",
)
RECOVERABLE = frozenset({"id15", "lower_x"})
_WEIGHT = {"id15": 0.2, "lower_x": 0.15, "bad_check": 0.2, "missing_field": 0.2,
           "bad_date": 0.1, "negative_amount": 0.1, "unknown_code": 0.1}  # fmt: skip

#: Heading of each feed's event date, from its spec.
EVENT = {s: get_spec(s).field(get_spec(s).event_date).heading for s in codes.FEED_SOURCES}
REQUIRED_EXTRA = {"hospital": ["医疗机构", "诊断编码"], "disease": ["诊断编码"]}
AMOUNT = {"hospital": "个人自付", "university": "学费"}
UNKNOWN = {
    "university": {"层次": ["研究生", "博士", "预科班"]},
    "disability": {"残疾类别": ["其他", "内脏"], "残疾等级": ["5", "五级", "0"]},
    "relapse": {"监测类型": ["一般农户", "低保户"], "风险类型": ["因婚", "因债"]},
}
_BAD_DATES = ("{y}-02-30", "{y}-13-05", "{y}-04-31", "{y}-{m}-32", "{y}-00-10")
_CHECK = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_W = np.array(WEIGHTS, dtype=np.int64)


def _kinds_for(source: str) -> list[str]:
    out = ["id15", "lower_x", "bad_check", "missing_field", "bad_date"]
    if source in AMOUNT:
        out.append("negative_amount")
    if source in UNKNOWN:
        out.append("unknown_code")
    return out


def _replace(col: pa.Array, rows: np.ndarray, values: pa.Array | list[None]) -> pa.Array:
    """``col`` with ``rows`` (sorted) replaced by ``values`` (in the same order)."""
    if not len(rows):
        return col
    mask = np.zeros(len(col), dtype=bool)
    mask[rows] = True
    vals = (
        values.cast(pa.string()) if isinstance(values, pa.Array) else pa.array(values, pa.string())
    )
    return pc.replace_with_mask(col, pa.array(mask), vals)


def inject(
    source: str,
    rng: np.random.Generator,
    columns: dict[str, pa.Array],
    id_matrix: np.ndarray,
    birth_year: np.ndarray,
    month: tuple[int, int],
) -> tuple[dict[str, pa.Array], dict[str, int], np.ndarray]:
    """Mix dirty rows into ``columns`` (身份证号 is rebuilt from ``id_matrix``).

    Returns the new columns, the count per kind (all kinds, zeros included) and the kind
    index per row (-1 = clean).
    """
    n = len(id_matrix)
    kinds = _kinds_for(source)
    p = np.array([_WEIGHT[k] for k in kinds])
    counts = rng.multinomial(round(n * DIRTY_RATE), p / p.sum())
    free = np.ones(n, dtype=bool)
    kind_of = np.full(n, -1, dtype=np.int8)
    chosen: dict[str, np.ndarray] = {}
    carry = 0  # rows a kind could not take (e.g. no one born in the 1900s) go to the next kind
    for kind, planned in zip(kinds, counts, strict=True):
        count = int(planned) + carry
        ok = free.copy()
        if kind == "id15":
            ok &= (birth_year >= 1900) & (birth_year <= 1999)
        elif kind == "lower_x":
            ok &= id_matrix[:, 17] == ord("X")
        pool = np.flatnonzero(ok)
        rows = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
        carry = count - len(rows)
        chosen[kind] = rows
        free[rows] = False
        kind_of[rows] = KINDS.index(kind)

    mat = id_matrix.copy()
    mat[chosen["lower_x"], 17] = ord("x")
    bad = chosen["bad_check"]
    true = ((id_matrix[bad, :17].astype(np.int64) - ord("0")) @ _W) % 11
    mat[bad, 17] = _CHECK[(true + rng.integers(1, 11, len(bad))) % 11]  # never the true one
    ids = matrix_to_strings(mat)
    r15 = chosen["id15"]
    if len(r15):
        short = matrix_to_strings(mat[r15][:, [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16]])
        ids = _replace(ids, r15, short)
    out = {"身份证号": ids} | dict(columns)

    miss = chosen["missing_field"]
    fields = ["身份证号", "姓名", EVENT[source], *REQUIRED_EXTRA.get(source, [])]
    which = rng.integers(0, len(fields), len(miss))
    for i, name in enumerate(fields):
        rows = miss[which == i]
        out[name] = _replace(out[name], rows, [None] * len(rows))

    y, m = month
    bd = chosen["bad_date"]
    pattern = rng.integers(0, len(_BAD_DATES), len(bd))
    templates = np.array([t.format(y=y, m=f"{m:02d}") for t in _BAD_DATES])
    out[EVENT[source]] = _replace(out[EVENT[source]], bd, pa.array(templates[pattern]))

    if source in AMOUNT:
        neg = chosen["negative_amount"]
        col = AMOUNT[source]
        old = out[col].take(pa.array(neg, type=pa.int64()))
        old = pc.if_else(pc.equal(old, "0.00"), "100.00", old)
        out[col] = _replace(out[col], neg, pc.binary_join_element_wise("-", old, ""))
    if source in UNKNOWN:
        unk = chosen["unknown_code"]
        options = UNKNOWN[source]
        names = list(options)
        pick = rng.integers(0, len(names), len(unk))
        for i, name in enumerate(names):
            rows = unk[pick == i]
            vals = np.array(options[name])[rng.integers(0, len(options[name]), len(rows))]
            out[name] = _replace(out[name], rows, pa.array(vals))

    tally = {k: 0 for k in KINDS}
    for kind, rows in chosen.items():
        tally[kind] = len(rows)
    return out, tally, kind_of
