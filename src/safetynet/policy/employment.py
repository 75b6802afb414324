"""Entrepreneurship support (创业扶持): one-time subsidy and guaranteed loans.

Every answer says eligible or not and lists every reason, passed and failed, so an officer can
tell the applicant what is missing.

>>> d = startup_subsidy(categories=["dibao"], first_business=True,
...     registered_on=date(2023, 1, 10), operating=True, on=date(2024, 3, 1))
>>> d.eligible, d.amount
(True, Decimal('5000.00'))
>>> d = guaranteed_loan(borrower="individual", categories=["tekun"], amount=350000,
...     term_months=36, on=date(2024, 3, 1))
>>> d.eligible, d.reasons[1]
(False, '✗ 贷款额度 350,000.00 元超过上限 300,000.00 元 / amount above the maximum')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from safetynet.parameters import ParameterSet
from safetynet.policy._money import CalcError, fmt, mul_round, ratio, shipped, to_fen, yuan

__all__ = ["Decision", "decide_from_json", "guaranteed_loan", "months_between", "startup_subsidy"]

BORROWERS = ("individual", "enterprise")


@dataclass(frozen=True, slots=True)
class Decision:
    """Eligibility answer: amount (yuan) when eligible, every reason, parameter version."""

    kind: str
    eligible: bool
    amount: Decimal | None
    reasons: tuple[str, ...]
    parameter_version: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "eligible": self.eligible,
            "amount": self.amount,
            **self.details,
            "parameter_version": self.parameter_version,
            "reasons": list(self.reasons),
        }


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``.

    >>> months_between(date(2023, 1, 10), date(2024, 1, 10)), months_between(date(2023, 1, 10), date(2024, 1, 9))
    (12, 11)
    """
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _check(ok: bool, yes: str, no: str, reasons: list[str]) -> bool:
    reasons.append(("✓ " + yes) if ok else ("✗ " + no))
    return ok


def _low_income(ps: ParameterSet, on: date, categories: Iterable[str], reasons: list[str]) -> bool:
    allowed = list(ps.get("employment.low_income_categories", on))
    held = sorted(set(categories))
    hit = [c for c in held if c in allowed]
    return _check(
        bool(hit),
        f"低收入人口（{'、'.join(hit)}）/ low-income person",
        f"不是低收入人口（类别：{'、'.join(held) or '无'}；须为 {'、'.join(allowed)} 之一）"
        " / not a low-income person",
        reasons,
    )


def startup_subsidy(
    *,
    categories: Iterable[str],
    first_business: bool,
    registered_on: date,
    operating: bool,
    on: date,
    received_before: bool = False,
    params: ParameterSet | None = None,
) -> Decision:
    """One-time entrepreneurship subsidy for a low-income person's first business."""
    ps = params or shipped()
    amount = to_fen(ps.number("employment.startup_subsidy.amount", on))
    need = int(ps.number("employment.startup_subsidy.min_operating_months", on))
    if registered_on > on:
        raise CalcError(
            f"登记日期 {registered_on} 晚于申请日期 {on} / registered after the application date"
        )
    months = months_between(registered_on, on)
    reasons: list[str] = []
    checks = [
        _low_income(ps, on, categories, reasons),
        _check(
            first_business,
            "首次创业 / first business",
            "不是首次创办企业或个体经营 / not the first business",
            reasons,
        ),
        _check(
            months >= need,
            f"自 {registered_on} 登记已 {months} 个月（≥ {need}）/ registered long enough",
            f"自 {registered_on} 登记仅 {months} 个月，须正常运营满 {need} 个月 / registered for less than {need} months",
            reasons,
        ),
        _check(operating, "正常运营 / operating", "未正常运营 / not operating normally", reasons),
        _check(
            not received_before,
            "此前未领取 / not received before",
            "已领取过一次性创业补贴 / already received",
            reasons,
        ),
    ]
    eligible = all(checks)
    return Decision(
        kind="subsidy",
        eligible=eligible,
        amount=yuan(amount) if eligible else None,
        reasons=tuple(reasons),
        parameter_version=ps.version_of("employment"),
        details={"operating_months": months},
    )


def guaranteed_loan(
    *,
    borrower: str,
    categories: Iterable[str],
    amount: Decimal | int | str,
    term_months: int,
    on: date,
    annual_rate: Decimal | str | None = None,
    params: ParameterSet | None = None,
) -> Decision:
    """Guaranteed business loan (创业担保贷款) limits and the estimated fiscal interest subsidy."""
    ps = params or shipped()
    if borrower not in BORROWERS:
        raise CalcError(f"borrower 应为 individual 或 enterprise / unknown borrower {borrower!r}")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months <= 0:
        raise CalcError(
            f"term_months 应为正整数 / must be a positive number of months: {term_months!r}"
        )
    base = f"employment.loan.{borrower}"
    max_fen = to_fen(ps.number(f"{base}.max_amount", on))
    max_months = int(ps.number(f"{base}.max_years", on) * 12)
    fen = to_fen(amount, field="amount")
    reasons: list[str] = []
    word = "个人创业担保贷款" if borrower == "individual" else "小微企业创业担保贷款"
    checks = [
        _low_income(ps, on, categories, reasons),
        _check(
            0 < fen <= max_fen,
            f"{word}额度 {fmt(fen)} 元 ≤ {fmt(max_fen)} 元 / amount within the maximum",
            f"贷款额度 {fmt(fen)} 元超过上限 {fmt(max_fen)} 元 / amount above the maximum"
            if fen > max_fen
            else "贷款额度须大于 0 / amount must be positive",
            reasons,
        ),
        _check(
            term_months <= max_months,
            f"期限 {term_months} 个月 ≤ {max_months} 个月 / term within the maximum",
            f"期限 {term_months} 个月超过 {max_months} 个月 / term above the maximum",
            reasons,
        ),
    ]
    eligible = all(checks)
    sub_rate = ratio(ps.number("employment.loan.interest_subsidy_rate", on))
    details: dict[str, Any] = {
        "max_amount": yuan(max_fen),
        "max_term_months": max_months,
        "interest_subsidy_rate": Decimal(sub_rate.numerator) / sub_rate.denominator,
        "interest_subsidy": None,
    }
    if eligible and annual_rate is not None:
        rate = ratio(Decimal(str(annual_rate)))
        used = min(rate, sub_rate)
        subsidy = mul_round(fen, used * term_months / 12)
        details["interest_subsidy"] = yuan(subsidy)
        reasons.append(
            f"财政贴息（暂定参数）约 {fmt(subsidy)} 元 = {fmt(fen)} × {float(used):.2%} × {term_months}/12"
            " / estimated interest subsidy (provisional rate, simple interest)"
        )
    reasons.append(
        "经办银行和担保机构另行审核信用与担保条件 / the bank and guarantor still check credit"
    )
    return Decision(
        kind="loan",
        eligible=eligible,
        amount=yuan(fen) if eligible else None,
        reasons=tuple(reasons),
        parameter_version=ps.version_of("employment"),
        details=details,
    )


def _date(obj: dict[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(str(obj[key]))
    except KeyError:
        raise CalcError(f"缺少字段 / missing field: {key}") from None
    except ValueError:
        raise CalcError(f"{key} 应为日期 YYYY-MM-DD / must be a date: {obj[key]!r}") from None


def _flag(obj: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise CalcError(f"{key} 应为 true/false / must be a boolean")
    return value


def decide_from_json(obj: Any, params: ParameterSet | None = None) -> Decision:
    """One ``calc business`` input object → decision (see docs/calculators.md)."""
    if not isinstance(obj, dict):
        raise CalcError("每行应为一个 JSON 对象 / each line must be a JSON object")
    cats = obj.get("categories", [obj["category"]] if obj.get("category") else [])
    if isinstance(cats, str) or not all(isinstance(c, str) for c in cats):
        raise CalcError("categories 应为类别代码列表 / must be a list of category codes")
    on = _date(obj, "on")
    kind = obj.get("kind")
    if kind == "subsidy":
        return startup_subsidy(
            categories=cats,
            first_business=_flag(obj, "first_business"),
            registered_on=_date(obj, "registered_on"),
            operating=_flag(obj, "operating"),
            received_before=_flag(obj, "received_before", False),
            on=on,
            params=params,
        )
    if kind == "loan":
        for key in ("borrower", "amount", "term_months"):
            if key not in obj:
                raise CalcError(f"缺少字段 / missing field: {key}")
        return guaranteed_loan(
            borrower=obj["borrower"],
            categories=cats,
            amount=obj["amount"],
            term_months=obj["term_months"],
            annual_rate=obj.get("annual_rate"),
            on=on,
            params=params,
        )
    raise CalcError(f"kind 应为 subsidy 或 loan / kind must be 'subsidy' or 'loan', got {kind!r}")
