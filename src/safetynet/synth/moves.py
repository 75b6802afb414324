"""Dated household moves of the synthetic province, as a second registry file.

About :data:`MOVE_RATE` of the registry's persons move in a year (so ``rate × days / 365``
over the feed months), on a day drawn uniformly inside those months. Movers are adult
household members other than the head (heads stay: a household is known by its head's ID).
An adult child, grandchild or sibling founds a household of their own in the same township
with probability :data:`SPLIT_SHARE` (new address in the same village); everyone else joins
another registry household of the same county (marriage, living with relatives) as 其他.

The file repeats each mover's registry rows (their memberships unchanged) with the new head,
relation, township, village, urban/rural flag and address and 迁入日期 = the move date: the
import's move rule (docs/registry.md) then records one ``household_move`` per mover. Imported
after ``registry.*`` it moves people; it never adds or changes memberships.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.synth._util import labels
from safetynet.synth.population import CHILD, GRANDCHILD, HEAD, REL, SIBLING, Registry

__all__ = ["MOVE_RATE", "SPLIT_SHARE", "Households", "Moves", "moves_table"]

#: Share of registry persons who move in a year (about 1 %).
MOVE_RATE = 0.01
#: Share of adult children, grandchildren and siblings among movers who found a household.
SPLIT_SHARE = 0.4


@dataclass(frozen=True)
class Households:
    """Per-household columns of the registry (index = synthetic household number)."""

    county: np.ndarray
    township: pa.Array
    village: pa.Array
    urban: np.ndarray
    address: pa.Array


@dataclass(frozen=True)
class Moves:
    table: pa.Table  # the registry rows of the movers, in their new households
    persons: int
    joins: int
    splits: int


def moves_table(
    rng: np.random.Generator,
    reg: Registry,
    registry: pa.Table,
    ids: pa.Array,
    hh: Households,
    first_day: int,
    days: int,
) -> Moves:
    """The moves file: ``registry`` rows of the movers, rewritten into their new households.

    ``first_day`` (days since 1970-01-01) and ``days`` are the window the moves fall in.
    """
    n_reg, n_hh = len(reg.hh), len(reg.hh_size)
    cand = np.flatnonzero((reg.relation != HEAD) & (reg.age >= 18))
    k = min(round(n_reg * MOVE_RATE * days / 365.2425), len(cand))
    movers = np.sort(rng.choice(cand, size=k, replace=False)) if k else cand[:0]
    old = reg.hh[movers]
    u_split, u_target, u_day, u_house = (rng.random(k) for _ in range(4))
    split = np.isin(reg.relation[movers], (CHILD, GRANDCHILD, SIBLING)) & (u_split < SPLIT_SHARE)
    # join: another household of the same county, drawn uniformly (the next one when the draw
    # is the mover's own; a county with a single household makes it a split)
    order = np.argsort(hh.county, kind="stable")
    by_county = hh.county[order]
    lo = np.searchsorted(by_county, hh.county[old], "left")
    size = np.searchsorted(by_county, hh.county[old], "right") - lo
    pick = np.floor(u_target * size).astype(np.int64)
    target = order[lo + pick]
    target = np.where(target == old, order[lo + (pick + 1) % size], target)
    split |= target == old
    dest = np.where(split, old, target)  # the household whose place the row takes
    moved_on = first_day + np.floor(u_day * days).astype(np.int64)

    head_of = np.searchsorted(reg.hh, np.arange(n_hh))  # first person (the head) of each
    mover_ids = ids.take(pa.array(movers))
    rows = registry.filter(pc.is_in(registry["身份证号"], value_set=mover_ids))
    m = pc.index_in(rows["身份证号"], value_set=mover_ids).to_numpy()  # row → mover
    d = pa.array(dest[m])
    own = pa.array(split[m])
    street = pc.replace_substring_regex(hh.address.take(d), r"\d+号$", "")
    house = pc.cast(pa.array(1 + np.floor(u_house[m] * 199).astype(np.int64)), pa.string())
    new_address = pc.binary_join_element_wise(street, house, "号", "")
    cols = {
        "户主身份证号": pc.if_else(own, rows["身份证号"], ids.take(pa.array(head_of[target[m]]))),
        "与户主关系": labels(np.where(split[m], HEAD, len(REL) - 1), REL),
        "乡镇代码": hh.township.take(d),
        "村社区代码": hh.village.take(d),
        "城乡": labels(hh.urban[dest[m]].astype(np.int64), ["农村", "城镇"]),
        "地址": pc.if_else(own, new_address, hh.address.take(d)),
        "迁入日期": pc.cast(pa.array(moved_on[m].astype(np.int32), pa.date32()), pa.string()),
    }
    for name, column in cols.items():
        rows = rows.set_column(rows.schema.get_field_index(name), name, column)
    return Moves(rows, persons=k, joins=int((~split).sum()), splits=int(split.sum()))
