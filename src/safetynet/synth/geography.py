"""The province's geography for the generator: prefectures, counties, populations, townships.

Prefectures, counties and 2020-census prefecture populations come from the package data
(``safetynet/regions/data``); until that ships, the same facts are read from the official
division files in ``../shared/data/divisions``. County populations are not in the package:
each prefecture's population is split over its counties by fixed weights (see
:data:`COUNTY_WEIGHT_WAN`, approximate census figures for the counties whose size is far from
the prefecture average; the others share the rest equally).

Synthetic townships get codes ``county6 + 900..999`` and villages ``township9 + 001..``, so
they can never collide with real statistical codes; their names end with ``（模拟）``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "Geography",
    "Townships",
    "is_synthetic_township",
    "load_geography",
    "synthetic_townships",
    "townships_from_codes",
]

#: Prefecture populations in 万 (2020 census), used when the package data is not present.
_PREFECTURE_WAN = {
    "6201": 435.94, "6202": 31.27, "6203": 43.80, "6204": 151.21, "6205": 298.47,
    "6206": 146.50, "6207": 113.10, "6208": 184.86, "6209": 105.57, "6210": 217.97,
    "6211": 252.41, "6212": 240.73, "6229": 210.98, "6230": 69.18,
}  # fmt: skip

#: Approximate 2020 populations (万) of counties far from their prefecture's average.
COUNTY_WEIGHT_WAN = {
    "620102": 147.8, "620103": 62.9, "620104": 37.2, "620105": 44.4, "620111": 14.7,
    "620122": 13.9, "620171": 20.0, "620302": 24.4, "620321": 19.4, "620403": 17.4,
    "620721": 3.4, "620923": 2.0, "620924": 1.1, "620922": 15.1, "620981": 13.0,
    "623025": 5.7, "623026": 3.8, "623024": 5.6, "621228": 4.1, "620823": 9.5,
    "620602": 101.5, "620702": 50.7, "620902": 44.0, "621002": 47.7, "621202": 52.6,
}  # fmt: skip

_SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "divisions"

_PLACE = (
    "新安平川和兴永丰红星团结东升西坪南山北塬柳湾杨庄李家王家张家马家赵家高台石门清水"
    "金河银川黄河白杨青石长乐大湾小河中庄上坪下川前进胜利光明丰收太平富民"
)


@dataclass(frozen=True)
class Geography:
    """Counties in code order, their prefecture and population weight."""

    prefecture_codes: list[str]
    prefecture_names: dict[str, str]
    prefecture_population: dict[str, int]
    county_codes: list[str]
    county_names: list[str]
    county_population: np.ndarray  # persons, float, sums to the census total


def _read_package(name: str) -> list[dict[str, str]] | None:
    try:
        text = resources.files("safetynet.regions").joinpath("data", name).read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return None
    return list(csv.DictReader(io.StringIO(text)))


def _read_shared(name: str) -> list[dict[str, str]]:
    with (_SHARED / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_geography() -> Geography:
    """Prefectures, counties and population weights (package data, else the shared files)."""
    divisions = _read_package("gansu.csv")
    if divisions is not None:
        prefs = {r["code"]: r["name"] for r in divisions if len(r["code"]) == 4}
        counties = [(r["code"], r["name"]) for r in divisions if len(r["code"]) == 6]
    else:
        prefs = {r["code"]: r["name"] for r in _read_shared("gansu-cities.csv")}
        counties = [(r["code"], r["name"]) for r in _read_shared("gansu-areas.csv")]
    pops = _read_package("gansu-population.csv")
    wan = {r["code"]: float(r["population"]) for r in pops} if pops else dict(_PREFECTURE_WAN)
    counties.sort()
    pop = np.zeros(len(counties))
    for pref in prefs:
        idx = [i for i, (c, _) in enumerate(counties) if c.startswith(pref)]
        fixed = {
            i: COUNTY_WEIGHT_WAN[counties[i][0]] for i in idx if counties[i][0] in COUNTY_WEIGHT_WAN
        }
        total = wan[pref]
        rest = max(total - sum(fixed.values()), 0.0)
        free = [i for i in idx if i not in fixed]
        scale = 1.0 if free else total / max(sum(fixed.values()), 1e-9)
        for i in idx:
            pop[i] = fixed[i] * scale if i in fixed else rest / len(free)
    return Geography(
        prefecture_codes=sorted(prefs),
        prefecture_names=prefs,
        prefecture_population={p: round(wan[p] * 10_000) for p in prefs},
        county_codes=[c for c, _ in counties],
        county_names=[n for _, n in counties],
        county_population=pop * 10_000,
    )


@dataclass(frozen=True)
class Townships:
    """Synthetic (or real) townships and villages; arrays are indexed by township number."""

    codes: list[str]  # 9-digit
    names: list[str]
    county: np.ndarray  # county index of each township
    first: np.ndarray  # first township index of each county (len = counties + 1)
    village_count: np.ndarray  # villages per township (0 = none known)
    village_names: list[str]  # flat, township after township


def is_synthetic_township(code: str) -> bool:
    """Whether a township code is one the generator makes (``county6 + 900..999``).

    >>> is_synthetic_township("620102901"), is_synthetic_township("620102001")
    (True, False)
    """
    return code[6:7] == "9" and code[6:9].isdigit()


def synthetic_townships(geo: Geography, rng: np.random.Generator) -> Townships:
    """About one township per 17,500 people (4–60 per county), 8–16 villages each."""
    codes: list[str] = []
    names: list[str] = []
    county: list[int] = []
    first = [0]
    per = np.clip(np.round(geo.county_population / 17_500), 4, 60).astype(int)
    pairs = [a + b for a in _PLACE[::2] for b in _PLACE[1::2]]
    for ci, code in enumerate(geo.county_codes):
        picks = rng.choice(len(pairs), size=int(per[ci]), replace=False)
        for k, p in enumerate(picks):
            codes.append(f"{code}{900 + k}")
            names.append(f"{pairs[p]}镇（模拟）")
            county.append(ci)
        first.append(len(codes))
    vcount = rng.integers(8, 17, size=len(codes))
    vnames: list[str] = []
    for count in vcount:
        picks = rng.choice(len(pairs), size=int(count), replace=False)
        vnames += [f"{pairs[p]}{'社区' if k < 2 else '村'}（模拟）" for k, p in enumerate(picks)]
    return Townships(codes, names, np.array(county), np.array(first), vcount, vnames)


def townships_from_codes(geo: Geography, real: list[str], fallback: Townships) -> Townships:
    """Real township codes (e.g. from an imported official table), without villages.

    Counties without a real township keep their synthetic ones from ``fallback``.
    """
    index = {c: i for i, c in enumerate(geo.county_codes)}
    have = {c[:6] for c in real if len(c) == 9 and c[:6] in index}
    rows: list[tuple[str, str, int, list[str]]] = [
        (c, "", 0, []) for c in real if len(c) == 9 and c[:6] in index
    ]
    start = np.concatenate([[0], np.cumsum(fallback.village_count)])
    for i, code in enumerate(fallback.codes):
        if code[:6] not in have:
            vn = fallback.village_names[start[i] : start[i + 1]]
            rows.append((code, fallback.names[i], int(fallback.village_count[i]), vn))
    rows.sort(key=lambda r: r[0])
    county = np.array([index[r[0][:6]] for r in rows], dtype=int)
    first = np.searchsorted(county, np.arange(len(geo.county_codes) + 1))
    return Townships(
        codes=[r[0] for r in rows],
        names=[r[1] for r in rows],
        county=county,
        first=first,
        village_count=np.array([r[2] for r in rows], dtype=int),
        village_names=[v for r in rows for v in r[3]],
    )
