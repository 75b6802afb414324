"""Households, persons and memberships of the synthetic registry, plus the rest of the province.

Each category has a household recipe (:data:`RECIPES`). Household categories (dibao,
dibao_edge, rigid_expense and the three poverty-relapse subtypes) enrol every member; individual
categories (tekun, disabled, ill, unemployed) enrol one member and list the others as
non-monitored household members. Counts by primary category are exact: household sizes are
drawn and the last household trimmed to hit the target.

Second categories are always of lower priority than the primary one, so primary counts are
unaffected; tekun and dibao never meet in one person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from safetynet.synth._util import choice
from safetynet.synth.tables import CATEGORY_COUNTS, PRIORITY

__all__ = ["RECIPES", "Pool", "Recipe", "Registry", "build_pool", "build_registry"]

CAT = {c: i + 1 for i, c in enumerate(PRIORITY)}  # 0 = not monitored
REL = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")
HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, SIBLING = range(6)

#: Share of the population in 5-year age bands 0–4 … 95–99 (China 2020 census shape).
_PYRAMID = np.array([5.5, 6.5, 6.5, 5.5, 5.5, 6.5, 8.5, 7.0, 6.5, 8.0, 8.5, 7.5,
                     5.5, 5.5, 4.0, 2.5, 1.6, 0.8, 0.3, 0.05])  # fmt: skip


@dataclass(frozen=True)
class Recipe:
    """How households of one category look."""

    sizes: tuple[float, ...]  # P(size = 1, 2, …)
    head_ages: tuple[tuple[float, int, int], ...]  # (weight, low, high) mixture
    urban: float  # share of urban households
    whole_household: bool  # every member enrolled, else one anchor member
    anchor: tuple[float, float, float] = (1.0, 0.0, 0.0)  # head / spouse / child
    second: tuple[tuple[str, float], ...] = ()  # (category, share of enrolled)
    since: tuple[int, int] = (2016, 2023)  # valid_from years
    sibling: bool = False  # the second member is a sibling, not a spouse


RECIPES: dict[str, Recipe] = {
    "tekun": Recipe((0.90, 0.10), ((0.82, 60, 95), (0.18, 25, 60)), 0.10, False,
                    second=(("disabled", 0.20), ("ill", 0.10)), since=(2012, 2023), sibling=True),
    "dibao": Recipe((0.34, 0.22, 0.18, 0.15, 0.08, 0.03), ((0.35, 60, 90), (0.45, 35, 60), (0.2, 22, 35)),
                    0.17, True, second=(("disabled", 0.08), ("ill", 0.05)), since=(2012, 2023)),
    "dibao_edge": Recipe((0.15, 0.25, 0.25, 0.2, 0.1, 0.05), ((0.3, 60, 85), (0.55, 35, 60), (0.15, 25, 35)),
                         0.3, True, second=(("disabled", 0.05), ("ill", 0.05)), since=(2021, 2023)),
    "rigid_expense": Recipe((0.1, 0.2, 0.3, 0.25, 0.1, 0.05), ((0.3, 55, 80), (0.7, 30, 55)),
                            0.3, True, second=(("ill", 0.15),), since=(2023, 2023)),
    "sudden_hardship": Recipe((0.08, 0.17, 0.25, 0.27, 0.15, 0.08), ((0.3, 55, 80), (0.7, 28, 55)),
                              0.0, True, second=(("disabled", 0.05), ("ill", 0.05)), since=(2022, 2023)),
    "unstable_lifted": Recipe((0.08, 0.17, 0.25, 0.27, 0.15, 0.08), ((0.3, 55, 80), (0.7, 28, 55)),
                              0.0, True, second=(("disabled", 0.05), ("ill", 0.05)), since=(2021, 2023)),
    "edge_prone": Recipe((0.08, 0.17, 0.25, 0.27, 0.15, 0.08), ((0.3, 55, 80), (0.7, 28, 55)),
                         0.0, True, second=(("disabled", 0.05), ("ill", 0.05)), since=(2021, 2023)),
    "disabled": Recipe((0.2, 0.3, 0.2, 0.2, 0.07, 0.03), ((0.45, 60, 90), (0.45, 35, 60), (0.1, 22, 35)),
                       0.35, False, anchor=(0.6, 0.15, 0.25), second=(("ill", 0.08),), since=(2010, 2023)),
    "ill": Recipe((0.15, 0.35, 0.2, 0.2, 0.07, 0.03), ((0.5, 55, 88), (0.5, 30, 55)),
                  0.35, False, anchor=(0.6, 0.3, 0.1), second=(("unemployed", 0.01),), since=(2022, 2023)),
    "unemployed": Recipe((0.2, 0.3, 0.25, 0.2, 0.05), ((1.0, 22, 58),), 0.6, False,
                         anchor=(0.6, 0.4, 0.0), since=(2023, 2023)),
    # 其他困难人员: one member in hardship that no other category covers (accident, disaster …)
    "other_hardship": Recipe((0.25, 0.3, 0.2, 0.15, 0.07, 0.03), ((0.4, 55, 85), (0.6, 25, 55)),
                             0.3, False, anchor=(0.7, 0.3, 0.0), since=(2022, 2023)),
}  # fmt: skip


def _mixture(
    rng: np.random.Generator, parts: tuple[tuple[float, int, int], ...], n: int
) -> np.ndarray:
    w = np.array([p[0] for p in parts])
    k = choice(rng, w, n)
    lo = np.array([p[1] for p in parts])[k]
    hi = np.array([p[2] for p in parts])[k]
    return np.asarray(rng.integers(lo, hi + 1), dtype=np.int64)


def _uniform_ints(
    rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int, n: int
) -> np.ndarray:
    out = np.floor(rng.random(n) * (np.asarray(hi) - np.asarray(lo) + 1)).astype(np.int64)
    return np.asarray(out + lo, dtype=np.int64)


@dataclass
class Registry:
    """Column arrays; persons are grouped by household, head first."""

    hh: np.ndarray  # household of each person
    relation: np.ndarray  # index into REL
    age: np.ndarray  # whole years at the reference date
    male: np.ndarray
    cat: np.ndarray  # primary category number (0 = not monitored)
    hh_category: np.ndarray  # per household: the category that created it
    hh_urban: np.ndarray
    hh_size: np.ndarray
    orphan: np.ndarray
    # memberships (one per enrolled person + second categories)
    m_person: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    m_cat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))


def _households(rng: np.random.Generator, recipe: Recipe, target: int) -> np.ndarray:
    """Household sizes whose members (or anchors) add up to exactly ``target``."""
    if not recipe.whole_household:
        sizes = choice(rng, recipe.sizes, target) + 1
        return sizes.astype(np.int64)
    mean = sum((i + 1) * p for i, p in enumerate(recipe.sizes)) / sum(recipe.sizes)
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < target:
        more = choice(rng, recipe.sizes, int(target / mean * 1.1) + 10)
        sizes = np.concatenate([sizes, more + 1])
    total = np.cumsum(sizes)
    h = int(np.searchsorted(total, target))  # first household reaching the target
    sizes = sizes[: h + 1].copy()
    sizes[-1] -= int(total[h] - target)
    return sizes


def _category_block(
    rng: np.random.Generator, name: str, target: int, orphans: int = 0
) -> dict[str, np.ndarray]:
    recipe = RECIPES[name]
    sizes = _households(rng, recipe, target)
    h = len(sizes)
    head_age = _mixture(rng, recipe.head_ages, h)
    head_male = rng.random(h) < (0.7 if name != "tekun" else 0.6)
    hh = np.repeat(np.arange(h), sizes)
    n = len(hh)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos = np.arange(n) - starts[hh]
    ha, hm, hs = head_age[hh], head_male[hh], sizes[hh]
    u = rng.random(n)
    rel = np.full(n, CHILD)
    rel[pos == 0] = HEAD
    spouse = (pos == 1) & (ha >= 22) & (u < 0.85)
    rel[spouse] = SIBLING if recipe.sibling else SPOUSE
    rel[(pos == 1) & ~spouse & (ha < 40)] = PARENT
    rel[(pos >= 4) & (pos == hs - 1) & (u < 0.6)] = PARENT
    rel[(pos >= 3) & (ha >= 62) & (rel == CHILD) & (u < 0.5)] = GRANDCHILD
    age = ha.copy()
    male = hm.copy()
    gap = _uniform_ints(rng, 22, 36, n)
    child_age = ha - gap
    child_age = np.where(child_age < 0, _uniform_ints(rng, 0, np.maximum(ha - 20, 1), n), child_age)
    # Some households have a child of university-admission age (17–19).
    uni = (pos == 2) & (ha >= 38) & (ha <= 56) & (rng.random(n) < 0.18)
    child_age = np.where(uni, _uniform_ints(rng, 17, 19, n), child_age)
    is_child = rel == CHILD
    age[is_child] = child_age[is_child]
    male[is_child] = rng.random(int(is_child.sum())) < 0.515
    sp = rel == SPOUSE
    age[sp] = np.clip(ha[sp] + np.round(rng.normal(-2, 3, int(sp.sum()))).astype(np.int64), 18, 99)
    male[sp] = ~hm[sp]
    sib = rel == SIBLING
    age[sib] = np.clip(ha[sib] + _uniform_ints(rng, -6, 6, int(sib.sum())), 18, 99)
    male[sib] = rng.random(int(sib.sum())) < 0.5
    par = rel == PARENT
    age[par] = np.clip(ha[par] + _uniform_ints(rng, 22, 32, int(par.sum())), 40, 99)
    male[par] = rng.random(int(par.sum())) < 0.4
    gc = rel == GRANDCHILD
    age[gc] = np.clip(ha[gc] - _uniform_ints(rng, 45, 60, int(gc.sum())), 0, 30)
    male[gc] = rng.random(int(gc.sum())) < 0.515

    if recipe.whole_household:
        enrolled = np.ones(n, dtype=bool)
    else:
        a = np.array(recipe.anchor)
        pick = choice(rng, a, h)
        want = np.where(pick == 0, 0, np.where(pick == 1, 1, 2))
        want = np.where(want < sizes, want, 0)
        enrolled = pos == want[hh]
    orphan = np.zeros(n, dtype=bool)
    if orphans:
        # Orphans (tekun): a child enrolled as tekun, living with a non-monitored grandparent.
        cand = np.flatnonzero(sizes >= 2)
        oh = rng.choice(cand, size=min(orphans, len(cand)), replace=False)
        flag = np.zeros(h, dtype=bool)
        flag[oh] = True
        fh = flag[hh]
        head_age[oh] = rng.integers(60, 80, size=len(oh))
        age[fh & (pos == 0)] = head_age[hh][fh & (pos == 0)]
        rel[fh & (pos == 1)] = GRANDCHILD
        age[fh & (pos == 1)] = _uniform_ints(rng, 3, 17, int((fh & (pos == 1)).sum()))
        enrolled = np.where(fh, pos == 1, enrolled)
        orphan = fh & (pos == 1)
    if name == "unemployed":
        age[enrolled] = np.clip(age[enrolled], 18, 58)
    return {
        "hh": hh, "relation": rel, "age": age, "male": male, "enrolled": enrolled,
        "orphan": orphan, "sizes": sizes,
    }  # fmt: skip


def build_registry(rng: np.random.Generator, scale: float) -> Registry:
    """All registry households and persons for ``scale`` (1.0 = the whole of Gansu)."""
    parts = []
    offset = 0
    hh_category, hh_urban, hh_size = [], [], []
    for name in PRIORITY:
        target = round(CATEGORY_COUNTS[name] * scale)
        if name == "tekun":
            # Tekun orphans need a size-2 household (grandparent + child): force it.
            block = _category_block(rng, name, target, orphans=max(round(target * 0.03), 0))
        else:
            block = _category_block(rng, name, target)
        block["hh"] = block["hh"] + offset
        block["cat"] = np.where(block["enrolled"], CAT[name], 0).astype(np.int8)
        h = len(block["sizes"])
        offset += h
        hh_category.append(np.full(h, CAT[name], dtype=np.int8))
        hh_urban.append(rng.random(h) < RECIPES[name].urban)
        hh_size.append(block["sizes"])
        parts.append(block)
    cat = np.concatenate([p["cat"] for p in parts])
    reg = Registry(
        hh=np.concatenate([p["hh"] for p in parts]),
        relation=np.concatenate([p["relation"] for p in parts]).astype(np.int8),
        age=np.concatenate([p["age"] for p in parts]).astype(np.int16),
        male=np.concatenate([p["male"] for p in parts]),
        cat=cat,
        hh_category=np.concatenate(hh_category),
        hh_urban=np.concatenate(hh_urban),
        hh_size=np.concatenate(hh_size),
        orphan=np.concatenate([p["orphan"] for p in parts]),
    )
    _memberships(rng, reg)
    return reg


def _memberships(rng: np.random.Generator, reg: Registry) -> None:
    """Primary memberships plus lower-priority second categories."""
    enrolled = np.flatnonzero(reg.cat > 0)
    persons = [enrolled]
    cats = [reg.cat[enrolled]]
    u = rng.random(len(enrolled))
    primary = reg.cat[enrolled]
    for name, recipe in RECIPES.items():
        lo = 0.0
        for second, share in recipe.second:
            assert CAT[second] > CAT[name], "a second category must rank below the primary"
            pick = (primary == CAT[name]) & (u >= lo) & (u < lo + share)
            lo += share
            persons.append(enrolled[pick])
            cats.append(np.full(int(pick.sum()), CAT[second], dtype=np.int8))
    m_person = np.concatenate(persons)
    order = np.argsort(m_person, kind="stable")
    reg.m_person = m_person[order]
    reg.m_cat = np.concatenate(cats)[order]


@dataclass
class Pool:
    """The rest of the province: people outside the registry, sorted by (county, sex, birth)."""

    age: np.ndarray
    male: np.ndarray
    county: np.ndarray
    birth: np.ndarray  # days since 1970-01-01
    rank: np.ndarray  # 0, 1, 2 … among people of the same county, sex and birth date


def build_pool(rng: np.random.Generator, n: int, county_weights: np.ndarray, ref_days: int) -> Pool:
    """About ``n`` people by the census age pyramid, spread over counties by population.

    People are drawn as Poisson counts per (county, sex, birth date) cell, so they come out
    grouped by cell and their rank within the cell (the ID sequence) needs no sorting.
    """
    days = 36_524  # birth dates in the 100 years before the reference date
    age_of_day = (np.arange(days)[::-1] + 1) / 365.2425
    band = np.minimum((age_of_day // 5).astype(int), len(_PYRAMID) - 1)
    p_day = _PYRAMID[band] / _PYRAMID.sum() / (5 * 365.2425)
    p_day /= p_day.sum()
    p_county = county_weights / county_weights.sum()
    p_sex = np.array([0.49, 0.51])  # female, male
    lam = n * (p_county[:, None, None] * p_sex[None, :, None] * p_day[None, None, :])
    counts = rng.poisson(lam.ravel())
    cell = np.repeat(np.arange(counts.size), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(cell.size) - starts[cell]
    county, rest = np.divmod(cell, 2 * days)
    sex, day = np.divmod(rest, days)
    birth = ref_days - days + day
    age = ((ref_days - birth) / 365.2425).astype(np.int16)
    return Pool(age=age, male=sex == 1, county=county.astype(np.int16), birth=birth, rank=rank)
