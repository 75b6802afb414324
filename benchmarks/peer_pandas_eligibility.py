"""The peer of the eligibility benchmark: the same rules written plainly in pandas.

Households and members as DataFrames (the columns of ``safetynet.policy.eligibility_vector``);
the standard of each household joined by (county, urban), members joined to their household's
limits, ages from birth dates, tekun members counted per household with ``groupby``.
``tests/unit/policy/test_eligibility_props.py`` keeps it equal to ``decide_vec`` on small
inputs; the benchmark asserts equality at full scale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from safetynet.policy.eligibility import DECISIONS, limits_for, rules_for
from safetynet.policy.standards import StandardSet

__all__ = ["decide_pandas"]


def decide_pandas(
    households: pd.DataFrame, members: pd.DataFrame, standards: StandardSet, *, on: date
) -> tuple[np.ndarray, np.ndarray]:
    """(decision code per household, tekun flag per member), as ``decide_vec`` gives them."""
    rules = rules_for(on)
    areas = households[["county", "urban"]].drop_duplicates()
    limits = pd.DataFrame(
        [
            {
                "county": c,
                "urban": u,
                **vars_of(limits_for(standards.resolve(c, bool(u), on), rules)),
            }
            for c, u in areas.itertuples(index=False)
        ]
    )
    h = (
        households.reset_index(drop=True)
        .reset_index()
        .merge(limits, on=["county", "urban"], how="left")
    )
    h = h.sort_values("index").set_index("index")
    n = h["members"]
    assets_ok = (
        (-(-h["deposits"] // n) <= h["deposits_limit"])
        & (h["vehicles"] <= rules.max_vehicles)
        & (h["vehicle_value"] <= h["vehicle_value_limit"])
        & (h["homes"] <= h["homes_limit"])
        & (h["businesses"] <= rules.max_businesses)
    )
    per_month = h["income"] // (12 * n)

    m = members.merge(
        h[["dibao", "tekun_deposits", "vehicle_value_limit", "homes_limit"]],
        left_on="household", right_index=True, how="left",
    )  # fmt: skip
    birth = pd.to_datetime(m["birth_date"])
    before = (birth.dt.month * 100 + birth.dt.day) > (on.month * 100 + on.day)
    age = on.year - birth.dt.year - before.astype(int)
    category = (
        (age >= rules.elderly_age)
        | (age < rules.minor_age)
        | m["disability_grade"].isin(sorted(rules.disability_grades))
    )
    tekun = (
        category
        & ~m["work_capacity"].astype(bool)
        & (m["income"] // 12 < m["dibao"])
        & (m["deposits"] <= m["tekun_deposits"])
        & (m["vehicles"] <= rules.max_vehicles)
        & (m["vehicle_value"] <= m["vehicle_value_limit"])
        & (m["homes"] <= m["homes_limit"])
        & (m["businesses"] <= rules.max_businesses)
        & (m["able_supporters"] <= 0)
    )
    count = tekun.groupby(m["household"]).sum().reindex(h.index, fill_value=0)
    dibao = (per_month < h["dibao"]) & assets_ok
    edge = ~dibao & (count == 0) & (per_month < h["edge"]) & assets_ok
    rigid = (
        ~dibao & ~edge & (count == 0)
        & (h["income"] // n < h["disposable_income"])
        & assets_ok
        & ((h["income"] - h["rigid"]) // (12 * n) < h["after_expense"])
    )  # fmt: skip
    decision = np.select(
        [dibao, edge, rigid],
        [DECISIONS.index("dibao"), DECISIONS.index("dibao_edge"), DECISIONS.index("rigid_expense")],
        DECISIONS.index("none"),
    )
    return decision.astype(np.int8), tekun.to_numpy(dtype=bool)


def vars_of(lim: Any) -> dict[str, int]:
    """The limits as columns; names that clash with a household column get ``_limit``."""
    out = {}
    for name in ("dibao", "edge", "after_expense", "disposable_income", "tekun_deposits"):
        out[name] = getattr(lim, name)
    for name in ("deposits", "vehicle_value", "homes"):
        out[f"{name}_limit"] = getattr(lim, name)
    return out
