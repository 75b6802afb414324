"""Eligibility over whole columns (numpy / pyarrow): the same rules, the same fen as per household.

Two tables of columns, one row per household and one per member (integer fen and counts):

* households — ``county`` (6-digit strings), ``urban`` (bool), ``members`` (≥ 1), ``income``
  (12-month income minus disregarded items), ``rigid`` (12-month rigid expenses), ``deposits``,
  ``vehicles``, ``vehicle_value``, ``homes``, ``businesses``;
* members — ``household`` (row number in the households table), ``birth_date`` (date32 or
  datetime64[D]), ``disability_grade`` (0 = none), ``work_capacity`` (bool), ``income`` (own,
  after disregarded items), ``deposits``, ``vehicles``, ``vehicle_value``, ``homes``,
  ``businesses`` (own), ``able_supporters`` (count).

:func:`decide_vec` returns the decision code of every household (index into
:data:`~safetynet.policy.eligibility.DECISIONS`) and the tekun flag of every member, element by
element equal to :func:`safetynet.policy.eligibility.decide` (property-tested);
:func:`to_columns` builds the two tables from economic records.

>>> from safetynet.policy.economy import EconomicRecord
>>> from safetynet.standards.files import builtin_standards
>>> rec = EconomicRecord.from_json({"members": [
...     {"resident_id": "620102195001010021", "work_capacity": False},
...     {"resident_id": "620102199001010046", "income": {"wages": 19200}}]})
>>> hh, mm = to_columns([(rec, "620102", True)])
>>> out = decide_vec(hh, mm, builtin_standards(), on=date(2024, 6, 1))
>>> out["decision"].tolist(), out["tekun"].tolist(), out["tekun_count"].tolist()
([0], [True, False], [1])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.parameters import ParameterSet
from safetynet.policy._money import CalcError, to_fen
from safetynet.policy.economy import EconomicRecord
from safetynet.policy.eligibility import DECISIONS, limits_for, rules_for
from safetynet.policy.standards import StandardSet

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "MEMBER_COLUMNS",
    "decide_vec",
    "prefecture_counts",
    "simulate",
    "to_columns",
]

I64 = npt.NDArray[np.int64]
HOUSEHOLD_COLUMNS = (
    "county", "urban", "members", "income", "rigid",
    "deposits", "vehicles", "vehicle_value", "homes", "businesses",
)  # fmt: skip
MEMBER_COLUMNS = (
    "household", "birth_date", "disability_grade", "work_capacity", "income",
    "deposits", "vehicles", "vehicle_value", "homes", "businesses", "able_supporters",
)  # fmt: skip
_LIMITS = (
    "dibao", "edge", "after_expense", "disposable_income", "deposits", "tekun_deposits",
    "vehicle_value", "vehicles", "homes", "businesses",
)  # fmt: skip


def _ints(values: Any) -> I64:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = values.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.int64)


def _bools(values: Any) -> npt.NDArray[np.bool_]:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = values.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=bool)


def _area_codes(
    county: Any, urban: npt.NDArray[np.bool_], standards: StandardSet, on: date, params: Any
) -> tuple[npt.NDArray[np.intp], dict[str, I64]]:
    """Each household's (county, area) as a row of a small table of limits (fen)."""
    arr = county if isinstance(county, pa.ChunkedArray | pa.Array) else pa.array(county)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not isinstance(arr, pa.DictionaryArray):
        arr = pc.dictionary_encode(arr.cast(pa.string()))
    names = arr.dictionary.to_pylist()
    idx = np.asarray(arr.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
    key = idx * 2 + urban.astype(np.intp)
    used = np.unique(key)
    rules = rules_for(on, params)
    table = {name: np.zeros(max(1, 2 * len(names)), dtype=np.int64) for name in _LIMITS}
    for k in used.tolist():
        lim = limits_for(standards.resolve(str(names[k // 2]), bool(k % 2), on), rules)
        for name in _LIMITS:
            table[name][k] = getattr(lim, name)
    return key, table


def _ages(birth: Any, on: date) -> I64:
    """Whole years of age on ``on`` from date32 / datetime64[D] birth dates (one table lookup)."""
    arr = birth if isinstance(birth, pa.ChunkedArray | pa.Array) else pa.array(birth)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_date32(arr.type):
        arr = arr.cast(pa.date32())
    days = np.asarray(arr.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)
    if not days.size:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(days.min()), int(days.max())
    span = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]")
    year = span.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = span.astype("datetime64[M]")
    md = (month_start.astype(np.int64) % 12 + 1) * 100 + (span - month_start).astype(np.int64) + 1
    table = on.year - year - (on.month * 100 + on.day < md)
    return np.asarray(table[days - lo], dtype=np.int64)


def decide_vec(
    households: Mapping[str, Any],
    members: Mapping[str, Any],
    standards: StandardSet,
    *,
    on: date,
    params: ParameterSet | None = None,
) -> dict[str, Any]:
    """Decision code per household, tekun flag per member, tekun members per household."""
    rules = rules_for(on, params)
    urban = _bools(households["urban"])
    key, lim = _area_codes(households["county"], urban, standards, on, params)
    n = _ints(households["members"])
    if n.size and n.min() < 1:
        raise CalcError("members 应至少为 1 / every household needs at least one member")
    # Comparisons without division: with integers and d > 0, floor(x / d) < L ⇔ x < L·d and
    # ceil(x / d) ≤ L ⇔ x ≤ L·d — the rounded figures of the per-household rules, exactly.
    income = _ints(households["income"])
    month_n = 12 * n
    assets_ok = (
        (_ints(households["deposits"]) <= lim["deposits"][key] * n)
        & (_ints(households["vehicles"]) <= rules.max_vehicles)
        & (_ints(households["vehicle_value"]) <= lim["vehicle_value"][key])
        & (_ints(households["homes"]) <= lim["homes"][key])
        & (_ints(households["businesses"]) <= rules.max_businesses)
    )

    # tekun: the conditions on each member's own figures, only for the members in a tekun
    # category without capacity to work (a small share of everyone)
    hh = _ints(members["household"])
    age = _ages(members["birth_date"], on)
    grade = _ints(members["disability_grade"])
    graded = np.zeros(max([4, *rules.disability_grades]) + 1, dtype=bool)
    graded[sorted(rules.disability_grades)] = True
    if grade.size and (grade.min() < 0 or grade.max() >= len(graded)):
        raise CalcError("disability_grade 应为 0–4 / must be 0 (none) to 4")
    candidate = ((age >= rules.elderly_age) | (age < rules.minor_age) | graded[grade]) & ~_bools(
        members["work_capacity"]
    )
    c = np.flatnonzero(candidate)
    ck = key[hh[c]]

    def own(name: str) -> I64:
        return _ints(members[name])[c]

    ok = (
        (own("income") < lim["dibao"][ck] * 12)
        & (own("deposits") <= lim["tekun_deposits"][ck])
        & (own("vehicles") <= rules.max_vehicles)
        & (own("vehicle_value") <= lim["vehicle_value"][ck])
        & (own("homes") <= lim["homes"][ck])
        & (own("businesses") <= rules.max_businesses)
        & (own("able_supporters") == 0)
    )
    tekun = np.zeros(len(hh), dtype=bool)
    tekun[c[ok]] = True
    tekun_count = np.bincount(hh[c[ok]], minlength=len(n)).astype(np.int64)

    dibao = (income < lim["dibao"][key] * month_n) & assets_ok
    no_tekun = tekun_count == 0
    edge = ~dibao & no_tekun & (income < lim["edge"][key] * month_n) & assets_ok
    rigid = (
        ~dibao
        & ~edge
        & no_tekun
        & (income < lim["disposable_income"][key] * n)
        & assets_ok
        & (income - _ints(households["rigid"]) < lim["after_expense"][key] * month_n)
    )
    decision = np.select(
        [dibao, edge, rigid],
        [DECISIONS.index("dibao"), DECISIONS.index("dibao_edge"), DECISIONS.index("rigid_expense")],
        DECISIONS.index("none"),
    ).astype(np.int8)
    return {"decision": decision, "tekun": tekun, "tekun_count": tekun_count}


def prefecture_counts(county: Any, decision: Any, tekun_count: Any) -> dict[str, dict[str, int]]:
    """Households per decision and tekun persons, by prefecture (first 4 digits of the county)."""
    arr = county if isinstance(county, pa.ChunkedArray | pa.Array) else pa.array(county)
    pref = pc.utf8_slice_codeunits(arr.cast(pa.string()), 0, 4)
    enc = pc.dictionary_encode(pref)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    labels = enc.dictionary.to_pylist()
    p = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    d = np.asarray(decision, dtype=np.int64)
    size = max(1, len(labels))
    counts = np.bincount(p * len(DECISIONS) + d, minlength=size * len(DECISIONS))
    tekun = np.bincount(p, weights=np.asarray(tekun_count), minlength=size)
    out: dict[str, dict[str, int]] = {}
    for i, label in sorted(enumerate(labels), key=lambda x: str(x[1])):
        row = {name: int(counts[i * len(DECISIONS) + j]) for j, name in enumerate(DECISIONS)}
        row["tekun_persons"] = int(np.rint(tekun[i]))
        out[str(label)] = row
    return out


def to_columns(
    records: Sequence[tuple[EconomicRecord, str, bool]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The households and members tables of ``(record, county, urban)`` triples."""
    hh: dict[str, list[Any]] = {c: [] for c in HOUSEHOLD_COLUMNS}
    mm: dict[str, list[Any]] = {c: [] for c in MEMBER_COLUMNS}
    for i, (rec, county, urban) in enumerate(records):
        income = sum(to_fen(m.income.total()) - to_fen(m.disregarded_total) for m in rec.members)
        a = rec.assets
        for name, value in (
            ("county", county), ("urban", urban), ("members", len(rec.members)),
            ("income", income), ("rigid", to_fen(rec.rigid_total)),
            ("deposits", to_fen(a.deposits)), ("vehicles", a.vehicles),
            ("vehicle_value", to_fen(a.vehicle_value)), ("homes", a.homes),
            ("businesses", a.businesses),
        ):  # fmt: skip
            hh[name].append(value)
        for m in rec.members:
            o = m.own_assets
            for key, item in (
                ("household", i), ("birth_date", m.birth_date),
                ("disability_grade", m.disability_grade or 0), ("work_capacity", m.work_capacity),
                ("income", to_fen(m.income.total()) - to_fen(m.disregarded_total)),
                ("deposits", to_fen(o.deposits)), ("vehicles", o.vehicles),
                ("vehicle_value", to_fen(o.vehicle_value)), ("homes", o.homes),
                ("businesses", o.businesses),
                ("able_supporters", sum(s.able for s in m.supporters)),
            ):  # fmt: skip
                mm[key].append(item)
    households: dict[str, Any] = {
        "county": pa.array(hh.pop("county"), pa.string()),
        **{k: np.asarray(v) for k, v in hh.items()},
    }
    members: dict[str, Any] = {
        "birth_date": pa.array(mm.pop("birth_date"), pa.date32()),
        **{
            k: np.asarray(v, dtype=bool if k == "work_capacity" else np.int64)
            for k, v in mm.items()
        },
    }
    households["urban"] = np.asarray(households["urban"], dtype=bool)
    for k in (
        "members",
        "income",
        "rigid",
        "deposits",
        "vehicles",
        "vehicle_value",
        "homes",
        "businesses",
    ):
        households[k] = np.asarray(households[k], dtype=np.int64)
    return households, members


def simulate(
    households: Mapping[str, Any],
    members: Mapping[str, Any],
    base: StandardSet,
    whatif: StandardSet,
    *,
    on: date,
    params: ParameterSet | None = None,
) -> list[dict[str, Any]]:
    """Per prefecture: households, and per decision the households (and tekun persons)
    under the ``base`` standards and under ``whatif``."""
    now = decide_vec(households, members, base, on=on, params=params)
    alt = decide_vec(households, members, whatif, on=on, params=params)
    a = prefecture_counts(households["county"], now["decision"], now["tekun_count"])
    b = prefecture_counts(households["county"], alt["decision"], alt["tekun_count"])
    rows = []
    for pref in sorted(a):
        rows.append(
            {
                "prefecture": pref,
                "households": sum(a[pref][d] for d in DECISIONS),
                "base": a[pref],
                "whatif": b[pref],
            }
        )
    return rows
