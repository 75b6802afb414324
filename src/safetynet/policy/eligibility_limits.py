"""The dated parameters of the eligibility rules (``eligibility.*``) and the limits a regional
standard sets under them, in integer fen (rounded half-up; see :mod:`safetynet.policy.eligibility`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from safetynet.parameters import ParameterError, ParameterSet
from safetynet.policy._money import CalcError, mul_round, shipped, to_fen
from safetynet.policy.standards import Standard

__all__ = ["EligibilityRules", "Limits", "limits_for", "rules_for"]


@dataclass(frozen=True, slots=True)
class EligibilityRules:
    """The ``eligibility.*`` parameters in force on one day."""

    on: date
    version: str
    edge_multiple: Fraction
    elderly_age: int
    minor_age: int
    disability_grades: frozenset[int]
    max_vehicles: int
    max_businesses: int
    after_expense_multiple: Fraction
    rigid_kinds: frozenset[str]
    disregarded_kinds: frozenset[str]
    valid_months: int


def _whole(value: Decimal, path: str) -> int:
    if value != value.to_integral_value() or value < 0:
        raise CalcError(f"{path} 应为非负整数 / must be a whole number ≥ 0: {value}")
    return int(value)


def _strings(values: Any, path: str) -> frozenset[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CalcError(f"{path} 应为字符串列表 / must be a list of strings")
    return frozenset(values)


_RULES: dict[tuple[str, date], EligibilityRules] = {}


def rules_for(on: date, params: ParameterSet | None = None) -> EligibilityRules:
    """Resolve every ``eligibility.*`` parameter for ``on`` (raises before the first value)."""
    ps = params or shipped()
    key = (ps.version_of("eligibility"), on)
    if key not in _RULES:
        if len(_RULES) > 256:
            _RULES.clear()
        try:
            grades = ps.get("eligibility.tekun.disability_grades", on)
            if not isinstance(grades, list) or not all(
                isinstance(g, int) and not isinstance(g, bool) for g in grades
            ):
                raise CalcError(
                    "eligibility.tekun.disability_grades 应为整数列表 / must list grades"
                )
            edge = Fraction(ps.number("eligibility.edge_multiple", on))
            after = Fraction(ps.number("eligibility.rigid_expense.after_expense_multiple", on))
            if edge < 1 or after < 0:
                raise CalcError("eligibility multiples out of range (edge ≥ 1, after-expense ≥ 0)")
            _RULES[key] = EligibilityRules(
                on=on,
                version=ps.version_of("eligibility"),
                edge_multiple=edge,
                elderly_age=_whole(ps.number("eligibility.tekun.elderly_age", on), "elderly_age"),
                minor_age=_whole(ps.number("eligibility.tekun.minor_age", on), "minor_age"),
                disability_grades=frozenset(grades),
                max_vehicles=_whole(
                    ps.number("eligibility.assets.max_vehicles", on), "max_vehicles"
                ),
                max_businesses=_whole(
                    ps.number("eligibility.assets.max_businesses", on), "max_businesses"
                ),
                after_expense_multiple=after,
                rigid_kinds=_strings(ps.get("eligibility.rigid_expense.kinds", on), "kinds"),
                disregarded_kinds=_strings(
                    ps.get("eligibility.disregarded_kinds", on), "disregarded_kinds"
                ),
                valid_months=_whole(
                    ps.number("eligibility.rigid_expense.valid_months", on), "valid_months"
                ),
            )
        except ParameterError as exc:
            raise CalcError(
                f"{on} 没有适用的认定规则参数 / no eligibility parameters in force on {on}: {exc}"
            ) from None
    return _RULES[key]


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one standard under one rule set, in fen (counts as such)."""

    dibao: int  # monthly dibao standard
    edge: int  # edge_multiple × dibao
    after_expense: int  # after_expense_multiple × dibao
    disposable_income: int  # previous year's per-capita disposable income
    deposits: int  # per person: deposit_multiple × 12 × dibao
    tekun_deposits: int  # own: deposit_multiple × 12 × tekun standard
    vehicle_value: int
    vehicles: int
    homes: int
    businesses: int


def limits_for(standard: Standard, rules: EligibilityRules) -> Limits:
    """Every limit of ``standard`` under ``rules``, rounded half-up to the fen.

    >>> from safetynet.policy.standards import Standard
    >>> std = Standard("620102", True, date(2024, 6, 1), Decimal("770.01"), Decimal("1001"),
    ...                Decimal("40879"), Decimal("2"), Decimal("50000"), 1, {}, {})
    >>> limits_for(std, rules_for(date(2024, 6, 1))).edge  # 1.5 × 77,001 fen = 115,501.5
    115502
    """
    s = to_fen(standard.dibao, field="dibao")
    multiple = Fraction(standard.deposit_multiple)
    return Limits(
        dibao=s,
        edge=mul_round(s, rules.edge_multiple),
        after_expense=mul_round(s, rules.after_expense_multiple),
        disposable_income=to_fen(standard.disposable_income, field="disposable_income"),
        deposits=mul_round(12 * s, multiple),
        tekun_deposits=mul_round(12 * to_fen(standard.tekun, field="tekun"), multiple),
        vehicle_value=to_fen(standard.vehicle_value, field="vehicle_value"),
        vehicles=rules.max_vehicles,
        homes=standard.homes,
        businesses=rules.max_businesses,
    )
