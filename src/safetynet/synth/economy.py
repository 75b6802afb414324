"""Household economic records of the synthetic province, consistent with each household's category.

One record per registry household (``economy_households.parquet``) and one row per member
(``economy_members.parquet``), in the columns of :mod:`safetynet.policy.eligibility_vector`
(integer fen and counts), drawn against the standards in force on the reference date (the
first feed month; the shipped default set). Per-person monthly counted income, as a multiple
of the local dibao standard *S*, by the category that created the household:

================  =======================================================================
household         income per person per month (counted)
================  =======================================================================
dibao             0.30–0.95 × *S*; the dibao top-up to *S* is a disregarded item
dibao_edge        1.02–1.45 × *S*
rigid_expense     1.55–2.15 × *S* (below last year's disposable income); rigid expenses
                  leave 0.2–0.9 × *S* per person per month
tekun             the tekun member: no capacity to work, own income 0–0.8 × *S*, own
                  deposits 0–50 % of the tekun limit, no able supporter (aged 60+, a
                  disabled adult of grade 1–2, or an orphaned minor); anyone living with
                  them earns 0.5–3 × *S*
other categories  1.2–4 × *S*
================  =======================================================================

Assets of a matching household are within the limits: deposits per person 0–80 % of the limit,
at most one vehicle (15 % of urban, 8 % of rural households) worth 5,000–40,000 yuan, at most one
home, no registered business; 15 % of households outside rigid_expense have medical expenses
of up to 8,000 yuan. **Noise**: within its band a household's figure is uniform; its income is
spread over the members of working age (16–64; others get small shares) with random weights;
amounts are whole yuan. Members other than the tekun member have capacity to work when aged
16–64 and an able supporter, so they are never tekun.

**Mismatched households**: :data:`MISMATCH_SHARE` (5 %) of dibao, dibao_edge, rigid_expense and
tekun households have a record that no longer matches their category — the cases monitoring
should surface. For the first three, one of: income risen to 2–3 × *S* (rigid_expense: above
last year's disposable income), deposits 1.2–3.2 × the limit, a second vehicle, a registered
business; for tekun, a supporter who has become able to support. The households table marks
them (``mismatch``, ``mismatch_kind``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.policy.eligibility import limits_for, rules_for
from safetynet.policy.standards import StandardSet

__all__ = ["BANDS", "MISMATCHES", "MISMATCH_SHARE", "economy_tables"]

MISMATCH_SHARE = 0.05
#: per-person monthly counted income band, as multiples of the dibao standard
BANDS = {
    "dibao": (0.30, 0.95),
    "dibao_edge": (1.02, 1.45),
    "rigid_expense": (1.55, 2.15),
    "tekun": (0.5, 3.0),  # the members living with the tekun member
    "other": (1.2, 4.0),
}
MISMATCHES = ("income", "deposits", "vehicle", "business", "supporter")
_ASSISTED = ("dibao", "dibao_edge", "rigid_expense", "tekun")


def _yuan(fen: Any) -> np.ndarray:
    """Round fen down to whole yuan."""
    return np.asarray(np.floor(np.asarray(fen) / 100), dtype=np.int64) * 100


def _limits(
    county: pa.Array, urban: np.ndarray, standards: StandardSet, on: date
) -> dict[str, Any]:
    enc = pc.dictionary_encode(county)
    names = enc.dictionary.to_pylist()
    key = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64) * 2 + urban
    rules = rules_for(on)
    size = 2 * max(1, len(names))
    out = {k: np.zeros(size, dtype=np.int64) for k in ("dibao", "disposable_income", "deposits", "tekun_deposits", "vehicle_value")}  # fmt: skip
    for k in np.unique(key).tolist():
        lim = limits_for(standards.resolve(str(names[k // 2]), bool(k % 2), on), rules)
        for name in out:
            out[name][k] = getattr(lim, name)
    return {name: table[key] for name, table in out.items()}


def economy_tables(
    rng: np.random.Generator,
    *,
    hh_category: np.ndarray,
    category_names: list[str],
    hh_county: pa.Array,
    hh_urban: np.ndarray,
    hh_of_person: np.ndarray,
    tekun_person: np.ndarray,
    age: np.ndarray,
    birth_days: np.ndarray,
    resident_ids: pa.Array | None,
    standards: StandardSet,
    on: date,
) -> tuple[pa.Table, pa.Table]:
    """The households and members tables for every registry household.

    ``hh_category`` indexes ``category_names``; persons are grouped by household, head first.
    Without ``resident_ids`` the tables have no resident-ID columns (benchmarks).
    """
    n_hh = len(hh_category)
    urban = np.asarray(hh_urban, dtype=bool)
    lim = _limits(hh_county, urban, standards, on)
    S, D = lim["dibao"], lim["disposable_income"]
    names = np.asarray([*category_names, "other"], dtype=object)
    code = {c: (category_names.index(c) if c in category_names else -2) for c in _ASSISTED}
    cat = np.asarray(hh_category, dtype=np.int64)
    is_ = {c: cat == code[c] for c in _ASSISTED}
    lo = np.full(n_hh, BANDS["other"][0])
    hi = np.full(n_hh, BANDS["other"][1])
    for c in _ASSISTED:
        lo[is_[c]], hi[is_[c]] = BANDS[c]

    hh = np.asarray(hh_of_person, dtype=np.int64)
    n_p = len(hh)
    size = np.bincount(hh, minlength=n_hh).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    tek = np.asarray(tekun_person, dtype=bool)
    n_tek = np.bincount(hh, weights=tek, minlength=n_hh).astype(np.int64)
    p_age = np.asarray(age, dtype=np.int64)

    # mismatches
    mismatch = (is_["dibao"] | is_["dibao_edge"] | is_["rigid_expense"] | is_["tekun"]) & (
        rng.random(n_hh) < MISMATCH_SHARE
    )
    kind = np.where(is_["tekun"], 4, rng.integers(0, 4, n_hh))
    kind = np.where(mismatch, kind, -1)

    # the household's income (counted, 12 months): per person per month × 12 × payers
    per_month = _yuan((lo + rng.random(n_hh) * (hi - lo)) * S)
    per_month = np.where(
        is_["rigid_expense"], np.minimum(per_month, _yuan(D // 12 - 100)), per_month
    )
    risen = kind == 0
    up = np.where(
        is_["rigid_expense"], _yuan(D // 12 + 10_000), _yuan((2.0 + rng.random(n_hh)) * S)
    )
    per_month = np.where(risen, np.maximum(per_month, up), per_month)
    payers = size - n_tek  # in tekun households: the others
    tekun_own = np.where(tek, _yuan(rng.random(n_p) * 0.8 * S[hh]) * 12, 0)
    income = per_month * 12 * payers + np.bincount(hh, weights=tekun_own, minlength=n_hh).astype(
        np.int64
    )

    left = _yuan((0.2 + 0.7 * rng.random(n_hh)) * S) * 12 * size
    rigid = np.where(is_["rigid_expense"], np.maximum(income - left, 0), 0)
    medical = ~is_["rigid_expense"] & (rng.random(n_hh) < 0.15)
    rigid = np.where(medical, _yuan(rng.random(n_hh) * 800_000), rigid)

    deposits = _yuan(rng.random(n_hh) * 0.8 * lim["deposits"] * size)
    deposits = np.where(
        kind == 1, _yuan(lim["deposits"] * size * (1.2 + 2 * rng.random(n_hh))), deposits
    )
    vehicles = np.where(kind == 2, 2, rng.random(n_hh) < np.where(urban, 0.15, 0.08)).astype(
        np.int64
    )
    vehicle_value = np.minimum(
        _yuan((500_000 + rng.random(n_hh) * 3_500_000) * vehicles), lim["vehicle_value"]
    )
    homes = np.where(urban & (rng.random(n_hh) < 0.3), 0, 1).astype(np.int64)
    businesses = (kind == 3).astype(np.int64)

    # members: own income (the household's shared by weights), disregarded top-up, own assets
    weight = np.where(tek, 0.0, np.where((p_age >= 16) & (p_age < 65), 0.2 + rng.random(n_p), 0.02))
    total = np.bincount(hh, weights=weight, minlength=n_hh)
    rest = income - np.bincount(hh, weights=tekun_own, minlength=n_hh).astype(np.int64)
    own = (
        np.where(weight > 0, _yuan(rest[hh] * weight / np.maximum(total[hh], 1e-12)), 0) + tekun_own
    )
    gap = income - np.bincount(hh, weights=own, minlength=n_hh).astype(np.int64)
    # the remainder goes to the heaviest payer (a household of the tekun member alone has none)
    order = np.lexsort((-weight, hh))
    top = order[first]  # first row of each household in (household, weight desc) order
    own[top] += gap
    top_up = np.where(is_["dibao"] & ~risen, np.maximum(S * 12 * size - income, 0), 0)
    disregarded = np.zeros(n_p, dtype=np.int64)
    disregarded[top] = top_up

    grade = np.zeros(n_p, dtype=np.int64)
    young = tek & (p_age >= 16) & (p_age < 60)
    grade[young] = rng.integers(1, 3, int(young.sum()))
    capacity = ~tek & (p_age >= 16) & (p_age < 65)
    able = np.where(tek, (kind[hh] == 4).astype(np.int64), 1)

    own_dep = np.where(tek, _yuan(rng.random(n_p) * 0.5 * lim["tekun_deposits"][hh]), 0)
    tekun_dep = np.bincount(hh, weights=own_dep, minlength=n_hh).astype(np.int64)
    deposits = np.maximum(deposits, tekun_dep)
    holder = np.where(tek[first] & (size > 1), first + 1, first)  # not the tekun member if possible
    is_holder = np.zeros(n_p, dtype=bool)
    is_holder[holder] = True
    own_dep = own_dep + np.where(is_holder, deposits[hh] - tekun_dep[hh], 0)

    def held(values: np.ndarray) -> np.ndarray:
        return np.where(is_holder, values[hh], 0).astype(np.int64)

    households = pa.table(
        {
            "county": hh_county,
            "urban": pa.array(urban),
            "category": pa.array(names[np.where(cat >= 0, cat, len(names) - 1)].tolist(), pa.string()).dictionary_encode(),
            "members": pa.array(size),
            "income_gross": pa.array(income + top_up),
            "income": pa.array(income),
            "rigid": pa.array(rigid),
            "deposits": pa.array(deposits),
            "vehicles": pa.array(vehicles),
            "vehicle_value": pa.array(vehicle_value),
            "homes": pa.array(homes),
            "businesses": pa.array(businesses),
            "mismatch": pa.array(mismatch),
            "mismatch_kind": pa.DictionaryArray.from_arrays(
                pa.array(np.where(kind >= 0, kind, 0).astype(np.int8), mask=kind < 0),
                pa.array(list(MISMATCHES)),
            ),
        }
    )  # fmt: skip
    members = pa.table(
        {
            "household": pa.array(hh),
            "birth_date": pa.array(np.asarray(birth_days, dtype=np.int32), pa.int32()).cast(pa.date32()),
            "disability_grade": pa.array(grade),
            "work_capacity": pa.array(capacity),
            "income_gross": pa.array(own + disregarded),
            "income": pa.array(own),
            "disregarded": pa.array(disregarded),
            "deposits": pa.array(own_dep),
            "vehicles": pa.array(held(vehicles)),
            "vehicle_value": pa.array(held(vehicle_value)),
            "homes": pa.array(held(homes)),
            "businesses": pa.array(held(businesses)),
            "able_supporters": pa.array(able),
        }
    )  # fmt: skip
    if resident_ids is not None:
        households = households.add_column(
            0, "head_resident_id", resident_ids.take(pa.array(first))
        )
        members = members.add_column(1, "resident_id", resident_ids)
    return households, members
