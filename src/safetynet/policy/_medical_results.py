"""Medical assistance results and input: the year-to-date state, claim and annual results, and
the ``calc medical`` input check (re-exported by :mod:`safetynet.policy.medical`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from safetynet.policy._money import CalcError, to_fen

__all__ = ["ClaimResult", "MedicalResult", "YearToDate", "case_from_json"]


@dataclass(frozen=True, slots=True)
class YearToDate:
    """What a person's year so far adds up to (yuan): the state of per-claim mode."""

    year: int
    oop: Decimal = Decimal("0.00")
    deductible_consumed: Decimal = Decimal("0.00")
    assistance: Decimal = Decimal("0.00")
    second_round: Decimal = Decimal("0.00")
    self_pay: Decimal = Decimal("0.00")

    def fen(self) -> tuple[int, int, int, int, int]:
        return (
            to_fen(self.oop, field="ytd.oop"),
            to_fen(self.deductible_consumed, field="ytd.deductible_consumed"),
            to_fen(self.assistance, field="ytd.assistance"),
            to_fen(self.second_round, field="ytd.second_round"),
            to_fen(self.self_pay, field="ytd.self_pay"),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "oop": self.oop,
            "deductible_consumed": self.deductible_consumed,
            "assistance": self.assistance,
            "second_round": self.second_round,
            "self_pay": self.self_pay,
        }


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """One claim's settlement and the person's updated year-to-date state."""

    assistance: Decimal
    second_round: Decimal
    self_pay: Decimal
    deductible_applied: Decimal
    ytd: YearToDate
    parameter_version: str
    explanation: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MedicalResult:
    """Annual result in yuan; ``premium_subsidy`` is None when it cannot be determined."""

    premium_subsidy: Decimal | None
    assistance: Decimal
    second_round: Decimal
    self_pay: Decimal
    parameter_version: str
    explanation: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The ``calc medical`` output object (amounts as Decimal yuan)."""
        return {
            "premium_subsidy": self.premium_subsidy,
            "assistance": self.assistance,
            "second_round": self.second_round,
            "self_pay": self.self_pay,
            "parameter_version": self.parameter_version,
            "explanation": list(self.explanation),
        }


_FIELDS = {"group", "oop", "major_disease", "year", "dibao_class"}


def case_from_json(obj: Any) -> dict[str, Any]:
    """Check one ``calc medical`` input object and return keyword arguments for
    :func:`~safetynet.policy.medical.annual`.

    >>> case_from_json({"group": "dibao", "oop": 25000, "major_disease": False, "year": 2024})
    {'group': 'dibao', 'oop': 25000, 'year': 2024, 'major_disease': False, 'dibao_class': None}
    """
    if not isinstance(obj, dict):
        raise CalcError("每行应为一个 JSON 对象 / each line must be a JSON object")
    unknown = set(obj) - _FIELDS - {"id"}
    if unknown:
        raise CalcError(f"未知字段 / unknown field(s): {', '.join(sorted(unknown))}")
    for key in ("group", "oop", "year"):
        if key not in obj:
            raise CalcError(f"缺少字段 / missing field: {key}")
    major = obj.get("major_disease", False)
    if not isinstance(major, bool):
        raise CalcError(f"major_disease 应为 true/false / must be a boolean, got {major!r}")
    dibao_class = obj.get("dibao_class")
    if dibao_class is not None and not isinstance(dibao_class, str):
        raise CalcError(f"dibao_class 应为字符串 / must be a string, got {dibao_class!r}")
    return {
        "group": obj["group"],
        "oop": obj["oop"],
        "year": obj["year"],
        "major_disease": major,
        "dibao_class": dibao_class or None,
    }
