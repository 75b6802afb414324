"""The premium-subsidy report: everyone monitored, by prefecture and medical group (pure).

The population comes from the registry (:func:`safetynet.reports.premiums.premium_report` reads
it); this module only adds up the subsidies, exactly, in fen, and shapes the result.

>>> import pyarrow as pa
>>> from safetynet.parameters import default_parameters
>>> people = pa.table({"prefecture": ["6201", "6201"], "group": ["tekun", "dibao"],
...                    "dibao_class": [None, "rural_1"]})
>>> r = build_report(people, year=2024, on=date(2024, 6, 30), params=default_parameters())
>>> [(row.group, row.people, row.subsidy) for row in r.rows]
[('tekun', 1, Decimal('380.00')), ('dibao', 1, Decimal('310.00'))]
>>> r.total.subsidy
Decimal('690.00')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

from safetynet.parameters import ParameterSet
from safetynet.policy._money import yuan
from safetynet.policy.medical_vector import premium_totals

__all__ = ["PremiumLine", "PremiumReport", "PremiumTotal", "build_report"]

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PremiumTotal:
    """People, people without a known amount (dibao without class), subsidy in yuan."""

    people: int = 0
    unknown_class: int = 0
    subsidy: Decimal = ZERO
    whatif_subsidy: Decimal | None = None

    def plus(self, line: PremiumTotal) -> PremiumTotal:
        whatif = None
        if line.whatif_subsidy is not None:
            whatif = (self.whatif_subsidy or ZERO) + line.whatif_subsidy
        return PremiumTotal(
            self.people + line.people,
            self.unknown_class + line.unknown_class,
            self.subsidy + line.subsidy,
            whatif,
        )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "people": self.people,
            "unknown_class": self.unknown_class,
            "subsidy": self.subsidy,
        }
        if self.whatif_subsidy is not None:
            out["whatif_subsidy"] = self.whatif_subsidy
        return out


@dataclass(frozen=True)
class PremiumLine(PremiumTotal):
    """One (prefecture, medical group) line of the report."""

    prefecture: str = ""
    prefecture_name: str | None = None
    group: str = ""

    def as_json(self) -> dict[str, Any]:
        head = {"prefecture": self.prefecture, "group": self.group, "people": self.people,
                "unknown_class": self.unknown_class, "prefecture_name": self.prefecture_name,
                "subsidy": self.subsidy}  # fmt: skip
        if self.whatif_subsidy is not None:
            head["whatif_subsidy"] = self.whatif_subsidy
        return head


@dataclass(frozen=True)
class PremiumReport:
    """What ``calc premiums`` prints; amounts are exact ``Decimal`` yuan."""

    year: int
    on: date
    parameter_version: str
    whatif_parameter_version: str | None
    rows: tuple[PremiumLine, ...]
    by_group: Mapping[str, PremiumTotal] = field(default_factory=dict)
    total: PremiumTotal = PremiumTotal()

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "on": self.on,
            "parameter_version": self.parameter_version,
            "whatif_parameter_version": self.whatif_parameter_version,
            "rows": [r.as_json() for r in self.rows],
            "by_group": {g: t.as_json() for g, t in self.by_group.items()},
            "total": self.total.as_json(),
        }


def build_report(
    population: pa.Table,
    *,
    year: int,
    on: date,
    params: ParameterSet,
    whatif: ParameterSet | None = None,
    names: Mapping[str, str] | None = None,
) -> PremiumReport:
    """Subsidies of ``population`` (prefecture, group, dibao_class) under ``params`` and, for a
    what-if, under ``whatif``; ``names`` gives the prefectures' names."""
    cols = (population["prefecture"], population["group"], population["dibao_class"])
    base = premium_totals(*cols, year=year, params=params)
    alt = premium_totals(*cols, year=year, params=whatif) if whatif is not None else None
    names = names or {}
    rows = tuple(
        PremiumLine(
            people=r["people"],
            unknown_class=r["unknown_class"],
            subsidy=yuan(r["subsidy_fen"]),
            whatif_subsidy=yuan(alt[i]["subsidy_fen"]) if alt is not None else None,
            prefecture=r["prefecture"],
            prefecture_name=names.get(r["prefecture"]),
            group=r["group"],
        )
        for i, r in enumerate(base)
    )
    empty = PremiumTotal(whatif_subsidy=ZERO if whatif is not None else None)
    by_group: dict[str, PremiumTotal] = {}
    total = empty
    for line in rows:
        by_group[line.group] = by_group.get(line.group, empty).plus(line)
        total = total.plus(line)
    return PremiumReport(
        year=year,
        on=on,
        parameter_version=params.version_of("medical"),
        whatif_parameter_version=whatif.version_of("medical") if whatif is not None else None,
        rows=rows,
        by_group=by_group,
        total=total,
    )
