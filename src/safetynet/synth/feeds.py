"""Monthly department feeds for the whole province, vectorised.

Every row belongs to a person of the province (registry or not). Who appears is drawn with
weights by age and by primary category, so monitored people are hit more often than the rest
(e.g. hospitalisation is 6× as likely for the ``ill`` category). Hospitalisations are drawn
with replacement each month; the other feeds draw each person at most once in the run
(Efraimidis–Spirakis keys) and spread the draws over the months.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet import codes
from safetynet.feeds.specs import get_spec
from safetynet.synth._util import choice, labels
from safetynet.synth.population import CAT
from safetynet.synth.tables import (
    DISABILITY_TYPES,
    ICD_DISEASE,
    ICD_HOSPITAL,
    RELAPSE_REASONS,
    RELAPSE_SUBTYPES,
    SCHOOLS,
)

__all__ = [
    "COLUMNS",
    "FORMATS",
    "SOURCES",
    "FeedRows",
    "World",
    "draw_unique",
    "draw_with_replacement",
    "feed_table",
    "fen_to_yuan",
    "weight_key",
    "weights",
]

SOURCES = codes.FEED_SOURCES
FORMATS = {
    "hospital": "parquet", "university": "parquet", "disease": "csv", "death": "csv",
    "disability": "xlsx", "unemployment": "xlsx", "relapse": "xlsx",
}  # fmt: skip
#: The headings of each feed file, in the order of its spec (:mod:`safetynet.feeds.specs`).
COLUMNS = {source: get_spec(source).headings for source in SOURCES}

_AGE = np.arange(101)


def _age_weights(source: str) -> np.ndarray:
    a = _AGE
    if source == "hospital":
        return np.select([a < 15, a < 45, a < 65], [0.6, 0.8, 1.5], 3.0)
    if source == "disease":
        return np.select([a < 20, a < 45, a < 65], [0.02, 0.3, 1.5], 3.0)
    if source == "disability":
        return np.select([a < 18, a < 60], [0.3, 1.0], 2.0)
    if source == "unemployment":
        return np.select([a < 18, a < 25, a < 45, a < 60], [0.0, 1.5, 1.0, 0.6], 0.0)
    if source == "death":
        return np.asarray(np.exp(0.085 * (a - 80.0)) + np.where(a == 0, 0.02, 0.0))
    if source == "university":
        return np.select([a == 17, a == 18, a == 19], [0.6, 1.0, 0.4], 0.0)
    return np.ones(len(a))  # relapse: see weights()


#: Multipliers by primary category (index = category number, 0 = not monitored).
_CAT_FACTORS = {
    #                 none tekun dibao edge rigid sudd unst prone disab ill unemp other
    "hospital":     (1.0, 3.0, 1.8, 1.6, 3.0, 2.0, 1.5, 1.5, 2.5, 6.0, 1.0, 2.0),
    "disease":      (1.0, 3.0, 2.0, 1.8, 3.0, 1.5, 1.5, 1.5, 2.0, 5.0, 1.0, 1.5),
    "disability":   (1.0, 2.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.5, 0.3, 2.0, 1.0, 1.5),
    "unemployment": (1.0, 0.0, 2.0, 2.0, 1.5, 2.0, 2.0, 2.0, 0.5, 0.8, 0.0, 1.5),
    "death":        (1.0, 1.8, 1.1, 1.0, 1.1, 1.0, 1.0, 1.0, 1.2, 2.0, 1.0, 1.1),
    "university":   (1.0, 1.0, 0.9, 0.9, 1.0, 0.9, 0.9, 0.9, 0.8, 1.0, 1.0, 1.0),
    "relapse":      (1.0, 0.0, 0.0, 3.0, 3.0, 60.0, 60.0, 60.0, 3.0, 3.0, 3.0, 3.0),
}  # fmt: skip
_N_CAT = len(CAT) + 1  # category numbers 0 (not monitored) … len(CAT)
assert all(len(f) == _N_CAT for f in _CAT_FACTORS.values()), "one factor per category"


def weight_key(age: np.ndarray, cat: np.ndarray, rural: np.ndarray) -> np.ndarray:
    """One small integer per person combining rural flag, category and age (see weights)."""
    key = (rural.astype(np.int32) * _N_CAT + cat) * 101 + np.clip(age, 0, 100)
    return np.asarray(key, dtype=np.int32)


def weights(source: str, key: np.ndarray) -> np.ndarray:
    """Relative chance of each person appearing in ``source`` (``key`` from weight_key)."""
    table = _age_weights(source)[None, None, :] * np.array(_CAT_FACTORS[source])[None, :, None]
    table = np.broadcast_to(table, (2, _N_CAT, 101)).copy()
    if source == "relapse":
        table[0] = 0.0  # urban people are not poverty-relapse objects
        table[:, :, :18] = 0.0
    return np.asarray(table.ravel()[key], dtype=np.float64)


def draw_with_replacement(rng: np.random.Generator, cdf: np.ndarray, k: int) -> np.ndarray:
    """``k`` person indexes with probability ∝ weight (``cdf`` = cumulative weights)."""
    return np.asarray(np.searchsorted(cdf, rng.random(k) * cdf[-1], side="right"), dtype=np.int64)


def draw_unique(rng: np.random.Generator, w: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct person indexes with probability ∝ weight, in draw order.

    Successive sampling: draw with replacement and keep each person's first draw (the same
    distribution as weighted sampling without replacement), topping up until ``k`` are found.
    """
    cdf = np.cumsum(w)
    k = min(k, int((w > 0).sum()))
    found = np.zeros(0, dtype=np.int64)
    while len(found) < k:
        more = draw_with_replacement(rng, cdf, int((k - len(found)) * 1.2) + 16)
        both = np.concatenate([found, more])
        _, first = np.unique(both, return_index=True)
        found = both[np.sort(first)]
    return found[:k]


def fen_to_yuan(fen: np.ndarray) -> pa.Array:
    """Integer fen to "yuan.jj" strings (negative values keep their sign)."""
    neg = fen < 0
    a = np.abs(fen)
    yuan = pc.cast(pa.array(a // 100), pa.string())
    cents = pc.utf8_lpad(pc.cast(pa.array(a % 100), pa.string()), 2, "0")
    text = pc.binary_join_element_wise(yuan, cents, ".")
    return pc.if_else(pa.array(neg), pc.binary_join_element_wise("-", text, ""), text)


def _pick(rng: np.random.Generator, table: tuple[tuple[Any, ...], ...], n: int) -> np.ndarray:
    return choice(rng, np.array([row[-1] for row in table], dtype=float), n)


def _dates(days: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(days.astype(np.int32), type=pa.date32()), pa.string())


def _serial(prefix: str, n: int, width: int) -> pa.Array:
    num = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, num, "")


@dataclass
class World:
    """Every person of the province (registry first, then the rest) and lookup tables."""

    county: np.ndarray  # county index per person
    age: np.ndarray
    male: np.ndarray
    cat: np.ndarray  # primary category number, 0 = not monitored
    rural: np.ndarray
    birth: np.ndarray  # days since 1970-01-01
    slot: np.ndarray  # ID sequence slot
    registry_size: int
    n_county: int
    n_pref: int
    pref_of_county: np.ndarray
    wkey: np.ndarray  # weight_key per person
    hospitals: pa.Array  # 2 per county, 1 per prefecture, 4 provincial
    county_codes: pa.Array


@dataclass
class FeedRows:
    """One month's clean rows of one feed, before dirty rows are mixed in."""

    source: str
    person: np.ndarray  # person index of each row
    event_days: np.ndarray  # event date, days since 1970-01-01
    columns: dict[str, pa.Array]  # everything except 身份证号 and 姓名


def feed_table(
    source: str,
    rng: np.random.Generator,
    person: np.ndarray,
    month: tuple[int, int],
    world: World,
    serial_start: int = 0,
) -> FeedRows:
    """The columns of ``source`` for the given people in ``month`` (a (year, month) pair)."""
    y, m = month
    first = (np.datetime64(f"{y:04d}-{m:02d}-01") - np.datetime64("1970-01-01")).astype(int)
    dim = int(
        (np.datetime64(f"{y:04d}-{m:02d}", "M") + np.timedelta64(1, "M"))
        .astype("datetime64[D]")
        .astype(int)
        - first
    )
    n = len(person)
    day = first + rng.integers(0, dim, size=n)
    ym = f"{y:04d}{m:02d}"
    w = world
    cols: dict[str, pa.Array] = {}
    if source == "hospital":
        cols["住院号"] = _serial(f"ZY{ym}", n, 7)
        cols["入院日期"] = _dates(day)
        stay = np.minimum(rng.geometric(1 / 9, size=n), 90)
        cols["出院日期"] = pc.if_else(
            pa.array(rng.random(n) < 0.04), pa.scalar(None, pa.string()), _dates(day + stay)
        )
        level = choice(rng, (0.55, 0.10, 0.25, 0.10), n)  # county, county TCM, prefecture, province
        county = w.county[person]
        hosp = np.where(
            level < 2,
            county * 2 + level,
            np.where(
                level == 2,
                w.n_county * 2 + w.pref_of_county[county],
                w.n_county * 2 + w.n_pref + rng.integers(0, 4, n),
            ),
        )
        cols["医疗机构"] = w.hospitals.take(pa.array(hosp))
        dx = _pick(rng, ICD_HOSPITAL, n)
        codes = [c for c, _ in ICD_HOSPITAL]
        age, male = w.age[person], w.male[person]
        birth_ok = (~male) & (age >= 18) & (age <= 45)
        dx = np.where((dx == codes.index("O80")) & ~birth_ok, 1, dx)
        cols["诊断编码"] = labels(dx, codes)
        median = np.array([4_000.0, 4_000.0, 9_000.0, 20_000.0])[level]
        heavy = np.isin(
            dx, [codes.index(c) for c in ("C34.9", "C16.9", "C22.0", "N18.5", "I61.9", "Z51.1")]
        )
        total = median * np.exp(rng.normal(0.0, 0.9, n)) * np.where(heavy, 3.0, 1.0)
        total_fen = np.clip(np.round(total * 100), 30_000, 300_000_000).astype(np.int64)
        policy = np.floor(total_fen * rng.uniform(0.75, 0.95, n)).astype(np.int64)
        basic = np.minimum(
            np.floor(policy * np.array([0.75, 0.75, 0.65, 0.55])[level]), 25_000_000
        ).astype(np.int64)
        critical = np.floor(np.maximum(policy - basic - 500_000, 0) * 0.6).astype(np.int64)
        oop = policy - basic - critical
        for name, val in (("总费用", total_fen), ("政策范围内费用", policy), ("基本医保支付", basic),
                          ("大病保险支付", critical), ("个人自付", oop)):  # fmt: skip
            cols[name] = fen_to_yuan(val)
        order = [
            "住院号",
            "入院日期",
            "出院日期",
            "医疗机构",
            "诊断编码",
            "总费用",
            "政策范围内费用",
            "基本医保支付",
            "大病保险支付",
            "个人自付",
        ]
    elif source == "disease":
        cols["登记编号"] = _serial(f"MB{ym}", n, 7)
        dx = _pick(rng, ICD_DISEASE, n)
        cols["诊断编码"] = labels(dx, [c for c, _, _ in ICD_DISEASE])
        cols["疾病名称"] = labels(dx, [d for _, d, _ in ICD_DISEASE], rng.random(n) >= 0.1)
        cols["登记日期"] = _dates(day)
        order = ["登记编号", "诊断编码", "疾病名称", "登记日期"]
    elif source == "university":
        serial = np.arange(serial_start, serial_start + n) + 1  # unique over the year
        cols["考生号"] = pc.binary_join_element_wise(
            f"{y % 100:02d}",
            w.county_codes.take(pa.array(w.county[person])),
            pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), 6, "0"),
            "",
        )
        sc = _pick(rng, SCHOOLS, n)
        level = np.array([lv for _, lv, _ in SCHOOLS])[sc]
        cols["录取院校"] = labels(sc, [s for s, _, _ in SCHOOLS])
        cols["层次"] = labels(sc, [lv for _, lv, _ in SCHOOLS])
        cols["录取日期"] = _dates(day)
        fee = np.where(
            level == "本科", rng.integers(40, 61, n) * 100, rng.integers(35, 61, n) * 100
        )
        fee = np.where(
            level == "中职", np.where(rng.random(n) < 0.6, 0, rng.integers(10, 21, n) * 100), fee
        )
        cols["学费"] = fen_to_yuan(fee.astype(np.int64) * 100)
        order = ["考生号", "录取院校", "层次", "录取日期", "学费"]
    elif source == "disability":
        t = choice(rng, (0.12, 0.10, 0.02, 0.50, 0.08, 0.10, 0.08), n)
        g = choice(rng, (0.10, 0.25, 0.35, 0.30), n)
        cols["残疾类别"] = labels(t, DISABILITY_TYPES)
        word = rng.random(n) < 0.5
        cols["残疾等级"] = labels(
            g + 4 * word, ["1", "2", "3", "4", "一级", "二级", "三级", "四级"]
        )
        cols["发证日期"] = _dates(day)
        cols["_suffix"] = labels(t * 4 + g, [f"{a}{b}" for a in range(1, 8) for b in range(1, 5)])
        order = ["残疾人证号", "残疾类别", "残疾等级", "发证日期"]
    elif source == "unemployment":
        cols["登记编号"] = _serial(f"SY{ym}", n, 6)
        cols["失业登记日期"] = _dates(day)
        order = ["登记编号", "失业登记日期"]
    elif source == "relapse":
        cols["监测编号"] = _serial(f"JC{ym}", n, 6)
        cat = w.cat[person]
        own = np.select(
            [
                cat == CAT["edge_prone"],
                cat == CAT["unstable_lifted"],
                cat == CAT["sudden_hardship"],
            ],
            [0, 1, 2],
            -1,
        )
        drawn = choice(rng, (0.4, 0.4, 0.2), n)
        sub = np.where((own >= 0) & (rng.random(n) < 0.9), own, drawn)
        cols["监测类型"] = labels(sub, RELAPSE_SUBTYPES)
        r = choice(rng, (0.40, 0.15, 0.10, 0.10, 0.10, 0.10, 0.05), n)
        cols["风险类型"] = labels(r, RELAPSE_REASONS)
        cols["变更日期"] = _dates(day)
        order = ["监测编号", "监测类型", "风险类型", "变更日期"]
    else:  # death
        cols["死亡证明编号"] = _serial(f"SW{ym}", n, 7)
        cols["死亡日期"] = _dates(day)
        order = ["死亡证明编号", "死亡日期"]
    extra = {k: v for k, v in cols.items() if k.startswith("_")}
    out = {k: cols[k] for k in order if k in cols} | extra
    return FeedRows(source, person, day, out)
