"""Medical assistance over whole columns (numpy / pyarrow): same rules, same fen as per case.

Columns: ``group`` (strings, or int codes indexing :data:`~safetynet.policy.medical.GROUPS`),
``dibao_class`` (strings or nulls), ``oop`` (integer fen), ``major_disease`` (bool). Results are
int64 fen arrays equal, element by element, to :func:`safetynet.policy.medical.annual`.

>>> import numpy as np
>>> out = annual_vec(["dibao", "ill_impoverished"], np.array([2500000, 500000]), [False, False],
...                  year=2024)
>>> out["assistance"].tolist(), out["second_round"].tolist(), out["self_pay"].tolist()
([1750000, 0], [105000, 0], [645000, 500000])
>>> amount, known = premium_vec(["tekun", "dibao", "dibao"], [None, "rural_3", None], year=2024)
>>> amount.tolist(), known.tolist()
([38000, 25000, 0], [True, True, False])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.parameters import ParameterSet
from safetynet.policy._money import CalcError
from safetynet.policy.medical import DIBAO_CLASSES, GROUPS, MedicalRules, rules_for

__all__ = ["annual_vec", "codes", "premium_totals", "premium_vec"]

I64 = npt.NDArray[np.int64]
DIBAO = GROUPS.index("dibao")


def codes(values: Any, names: Sequence[str], *, what: str, nulls: bool = False) -> npt.NDArray[Any]:
    """Map strings to their index in ``names`` (−1 for nulls when ``nulls``); ints pass through."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        if values.size and (values.min() < 0 or values.max() >= len(names)):
            raise CalcError(f"{what}: code out of range 0..{len(names) - 1}")
        return values.astype(np.int16)
    arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(arr, pa.DictionaryArray):  # map the small dictionary, then take
        table = np.append(codes(arr.dictionary, names, what=what, nulls=True), -1)
        idx = pc.fill_null(arr.indices, len(table) - 1).to_numpy(zero_copy_only=False)
        out = table[idx]
        if not nulls and (out < 0).any():
            raise CalcError(f"{what} 不能为空 / {what}: empty value")
        return np.asarray(out, dtype=np.int16)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())  # dictionary, large_string or all-null columns
    idx = pc.index_in(arr, value_set=pa.array(list(names)))
    bad = pc.and_(pc.is_null(idx), pc.is_valid(arr))
    if pc.any(bad).as_py() or (not nulls and arr.null_count):
        first = pc.filter(arr, pc.or_(bad, pc.is_null(arr)))[0].as_py()
        raise CalcError(f"未知的{what} / unknown {what}: {first!r}; 可用 / use: {', '.join(names)}")
    out = pc.fill_null(idx, -1).to_numpy(zero_copy_only=False)
    return np.asarray(out, dtype=np.int16)


def _fen(values: Any) -> I64:
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise CalcError("oop 列应为整数分 / the oop column must be integer fen")
    if arr.size and arr.min() < 0:
        raise CalcError("oop 不能为负数 / oop must not be negative")
    return arr.astype(np.int64, copy=False)


def _tables(rules: MedicalRules) -> dict[str, Any]:
    num = np.array([rules.ratio[g].numerator for g in GROUPS], dtype=np.int64)
    den = np.array([rules.ratio[g].denominator for g in GROUPS], dtype=np.int64)
    return {
        "num": num,
        "den": den,
        "deductible": np.array([rules.deductible[g] for g in GROUPS], dtype=np.int64),
        "second": np.array([g in rules.second_groups for g in GROUPS]),
        "premium": np.array([rules.premium.get(g, 0) for g in GROUPS], dtype=np.int64),
        "dibao": np.array([rules.premium_dibao[c] for c in DIBAO_CLASSES], dtype=np.int64),
    }


def _half_up(x: I64, num: I64 | int, den: I64 | int) -> I64:
    return np.asarray((2 * x * num + den) // (2 * den), dtype=np.int64)


def premium_vec(
    group: Any, dibao_class: Any, *, year: int, params: ParameterSet | None = None
) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Premium subsidy in fen and a mask of known amounts (False: dibao without class → 0)."""
    rules = rules_for(date(year, 1, 1), params)
    t = _tables(rules)
    g = codes(group, GROUPS, what="医疗救助类别")
    c = codes(dibao_class, DIBAO_CLASSES, what="低保类别", nulls=True)
    is_dibao = g == DIBAO
    known = ~is_dibao | (c >= 0)
    amount = np.where(is_dibao, t["dibao"][np.maximum(c, 0)], t["premium"][g])
    amount = np.where(known, np.minimum(amount, rules.contribution), 0)
    return amount.astype(np.int64), known


def annual_vec(
    group: Any, oop: Any, major_disease: Any, *, year: int, params: ParameterSet | None = None
) -> dict[str, I64]:
    """Annual assistance, second round and self-pay in fen for every row."""
    rules = rules_for(date(year, 1, 1), params)
    t = _tables(rules)
    g = codes(group, GROUPS, what="医疗救助类别")
    fen = _fen(oop)
    major = np.asarray(major_disease, dtype=bool)
    eligible = np.maximum(fen - t["deductible"][g], 0)
    raw = _half_up(eligible, t["num"][g], t["den"][g])
    cap = np.where(major, rules.cap_major, rules.cap)
    assistance = np.minimum(raw, cap)
    still = fen - assistance
    above = np.maximum(still - rules.threshold, 0)
    r2 = rules.second_ratio
    second = np.where(
        t["second"][g], np.minimum(_half_up(above, r2.numerator, r2.denominator), still), 0
    )
    return {
        "assistance": assistance.astype(np.int64, copy=False),
        "second_round": second.astype(np.int64, copy=False),
        "self_pay": (still - second).astype(np.int64, copy=False),
    }


def premium_totals(
    prefecture: Any,
    group: Any,
    dibao_class: Any,
    *,
    year: int,
    params: ParameterSet | None = None,
) -> list[dict[str, Any]]:
    """Premium subsidy per (prefecture, group): people, people without a known amount, fen."""
    amount, known = premium_vec(group, dibao_class, year=year, params=params)
    g = codes(group, GROUPS, what="医疗救助类别")
    pref = pa.array(prefecture) if not isinstance(prefecture, pa.Array) else prefecture
    enc = pc.dictionary_encode(pref.cast(pa.string()))
    labels = enc.dictionary.to_pylist()
    p = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    key = p * len(GROUPS) + g
    size = max(1, len(labels)) * len(GROUPS)
    people = np.bincount(key, minlength=size)
    unknown = np.bincount(key, weights=~known, minlength=size).astype(np.int64)
    fen = np.bincount(key, weights=amount, minlength=size)
    rows = []
    for k in np.flatnonzero(people):
        rows.append(
            {
                "prefecture": labels[k // len(GROUPS)],
                "group": GROUPS[k % len(GROUPS)],
                "people": int(people[k]),
                "unknown_class": int(unknown[k]),
                "subsidy_fen": int(np.rint(fen[k])),
            }
        )
    rows.sort(key=lambda r: (r["prefecture"], GROUPS.index(r["group"])))
    return rows
