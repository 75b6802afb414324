"""Package data shipped with safetynet (pure): Gansu's divisions and prefecture populations.

``data/gansu.csv`` — province 62 甘肃省, its 14 prefecture-level codes and 88 county-level codes
(86 counties, districts and county-level cities, plus 兰州新区 620171 and 嘉峪关's own 620201):
statistical division codes of the National Bureau of Statistics, state of 2022-10-31.

``data/gansu-population.csv`` — resident population per prefecture at the 2020 census
(第七次全国人口普查), in 万人 (10,000 persons), rounded to two decimals; the province total
is about 2,502 万. Approximate public figures, used to spread the synthetic population.

>>> rows = builtin_divisions()
>>> rows[0], len(rows)
(('62', '甘肃省'), 103)
>>> pops = builtin_population()
>>> pops["6201"].name, pops["6201"].persons
('兰州市', 4359400)
>>> round(sum(p.population_wan for p in pops.values()))
2502
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

__all__ = ["PrefecturePopulation", "builtin_divisions", "builtin_population"]


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("safetynet.regions").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def builtin_divisions() -> list[tuple[str, str]]:
    """(code, name) of the shipped Gansu divisions, province first."""
    return [(r["code"], r["name"]) for r in _read("gansu.csv")]


@dataclass(frozen=True)
class PrefecturePopulation:
    """2020-census resident population of one prefecture (approximate)."""

    code: str
    name: str
    population_wan: Decimal

    @property
    def persons(self) -> int:
        """The population as a number of persons."""
        return int(self.population_wan * 10_000)


def builtin_population() -> dict[str, PrefecturePopulation]:
    """Prefecture code → its 2020-census population, for the 14 prefectures of Gansu."""
    return {
        r["code"]: PrefecturePopulation(r["code"], r["name"], Decimal(r["population"]))
        for r in _read("gansu-population.csv")
    }
