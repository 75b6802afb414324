"""Eligibility (DOMAIN.md §3a): dibao, near-dibao, rigid-expense households and tekun members.

Pure rules over the household economic record (:mod:`safetynet.policy.economy`), the regional
standard in force (:mod:`safetynet.policy.standards`) and dated parameters (``eligibility.*``).
Money is worked in integer fen. Figures compared with a limit:

* income per person per month = (Σ members' 12-month income − disregarded items) / 12 /
  members, **rounded down** to the fen; annual income per person likewise;
* limits computed from a standard (1.5 × standard, multiple × 12 × standard) are rounded
  half-up to the fen.

Since every limit is a whole number of fen, "the rounded-down figure < limit" is the same as
"the exact figure < limit": the figures shown are the figures decided on.

Decision order: ``dibao``; else ``dibao_edge`` (no member tekun); else ``rigid_expense``; else
``none``. Tekun is decided per member and listed beside the household decision.

>>> from safetynet.policy.economy import EconomicRecord
>>> from safetynet.policy.standards import Standard
>>> std = Standard("620102", True, date(2024, 6, 1), Decimal("770"), Decimal("1001"),
...                Decimal("40879"), Decimal("2"), Decimal("50000"), 1, {}, {})
>>> rec = EconomicRecord.from_json({"members": [
...     {"resident_id": "11010519491231002X", "income": {"wages": 18000}},
...     {"resident_id": "110105198001010016", "income": {"wages": 0}}]})
>>> d = decide(rec, standard=std, on=date(2024, 6, 1))
>>> d.decision, d.income_per_person_month
('dibao', Decimal('750.00'))
>>> [c.condition for c in d.conditions if c.rule == "dibao"]
['income_below_standard', 'assets_within_limits']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from safetynet.codes import ELIGIBILITY_DECISIONS
from safetynet.parameters import ParameterSet
from safetynet.policy._money import CalcError, fmt, to_fen, yuan
from safetynet.policy.economy import Assets, EconomicRecord, Member
from safetynet.policy.eligibility_limits import EligibilityRules, Limits, limits_for, rules_for
from safetynet.policy.standards import Standard, StandardSet

__all__ = [
    "DECISIONS",
    "Condition",
    "Decision",
    "EligibilityRules",
    "Limits",
    "check_from_json",
    "decide",
    "limits_for",
    "rules_for",
]

DECISIONS = tuple(ELIGIBILITY_DECISIONS)
ASSET_CONDITIONS = ("deposits", "vehicles", "vehicle_value", "homes", "businesses")


@dataclass(frozen=True, slots=True)
class Condition:
    """One condition of one rule: the figure, its limit, whether it is met, and a sentence."""

    rule: str
    condition: str
    value: Any
    limit: Any
    met: bool
    text: str
    member: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "condition": self.condition,
            "member": self.member,
            "value": self.value,
            "limit": self.limit,
            "met": self.met,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """A household's decision, its tekun members and every condition behind them."""

    decision: str
    tekun_members: tuple[str, ...]
    income_per_person_month: Decimal
    standard: Standard
    conditions: tuple[Condition, ...]
    parameter_version: str
    valid_until: date | None = None

    def as_json(self) -> dict[str, Any]:
        """The ``eligibility check`` output object (amounts as Decimal yuan)."""
        return {
            "decision": self.decision,
            "tekun_members": list(self.tekun_members),
            "income_per_person_month": self.income_per_person_month,
            "standard": self.standard.as_json(),
            "valid_until": self.valid_until,
            "conditions": [c.as_json() for c in self.conditions],
            "parameter_version": self.parameter_version,
        }


def _mark(met: bool) -> str:
    return "✓" if met else "✗"


def _asset_conditions(
    assets: Assets, members: int, lim: Limits, deposit_limit: int, rule: str, member: str | None
) -> list[Condition]:
    """Deposits (per person), vehicles, vehicle value, homes, businesses against the limits."""
    whose = "本人" if member else "家庭"
    dep = -(-to_fen(assets.deposits) // members)  # rounded up: "≤ limit" exactly as shown
    per = "人均" if members > 1 or member is None else ""
    out = [
        Condition(
            rule,
            "deposits",
            yuan(dep),
            yuan(deposit_limit),
            dep <= deposit_limit,
            f"{_mark(dep <= deposit_limit)} {whose}{per}存款和有价证券 {fmt(dep)} 元"
            f"{'≤' if dep <= deposit_limit else '>'} {fmt(deposit_limit)} 元 / deposits"
            f"{' per person' if per else ''}",
            member,
        ),
        Condition(
            rule,
            "vehicles",
            assets.vehicles,
            lim.vehicles,
            assets.vehicles <= lim.vehicles,
            f"{_mark(assets.vehicles <= lim.vehicles)} {whose}机动车 {assets.vehicles} 辆，"
            f"上限 {lim.vehicles} 辆 / vehicles",
            member,
        ),
    ]
    value = to_fen(assets.vehicle_value)
    ok = value <= lim.vehicle_value
    out.append(
        Condition(
            rule,
            "vehicle_value",
            assets.vehicle_value,
            yuan(lim.vehicle_value),
            ok,
            f"{_mark(ok)} {whose}车辆总价值 {fmt(value)} 元{'≤' if ok else '>'} "
            f"{fmt(lim.vehicle_value)} 元 / vehicle value",
            member,
        )
    )
    ok = assets.homes <= lim.homes
    out.append(
        Condition(
            rule,
            "homes",
            assets.homes,
            lim.homes,
            ok,
            f"{_mark(ok)} {whose}住房 {assets.homes} 套，上限 {lim.homes} 套 / homes",
            member,
        )
    )
    ok = assets.businesses <= lim.businesses
    out.append(
        Condition(
            rule, "businesses", assets.businesses, lim.businesses, ok,
            f"{_mark(ok)} {whose}登记企业 {assets.businesses} 家，上限 {lim.businesses} 家 / "
            "registered businesses",
            member,
        )
    )  # fmt: skip
    return out


def _summary(rule: str, failed: int) -> Condition:
    return Condition(
        rule, "assets_within_limits", failed, 0, failed == 0,
        f"{_mark(failed == 0)} 财产状况：{failed} 项超过上限 / asset limits exceeded: {failed}",
    )  # fmt: skip


def _check_kinds(record: EconomicRecord, rules: EligibilityRules) -> None:
    for i, m in enumerate(record.members):
        for item in m.disregarded:
            if item.kind not in rules.disregarded_kinds:
                raise CalcError(
                    f"members[{i}].disregarded: 未知的不计入收入项目 / unknown kind {item.kind!r};"
                    f" 可用 / use: {', '.join(sorted(rules.disregarded_kinds))}"
                )
    for item in record.rigid_expenses:
        if item.kind not in rules.rigid_kinds:
            raise CalcError(
                f"rigid_expenses: 未知的刚性支出种类 / unknown kind {item.kind!r}; 可用 / use: "
                + ", ".join(sorted(rules.rigid_kinds))
            )


def _tekun(
    m: Member, on: date, rules: EligibilityRules, lim: Limits, tekun_std: Decimal
) -> tuple[bool, list[Condition]]:
    rid = m.resident_id
    age = m.age(on)
    elderly = age >= rules.elderly_age
    minor = age < rules.minor_age
    disabled = m.disability_grade is not None and m.disability_grade in rules.disability_grades
    cat_ok = elderly or disabled or minor
    kinds = [w for w, f in (("老年人", elderly), ("残疾人", disabled), ("未成年人", minor)) if f]
    grade = f"残疾 {m.disability_grade} 级" if m.disability_grade else "无残疾证"
    out = [
        Condition(
            "tekun",
            "category",
            {"age": age, "disability_grade": m.disability_grade},
            {
                "elderly_age": rules.elderly_age,
                "minor_age": rules.minor_age,
                "disability_grades": sorted(rules.disability_grades),
            },
            cat_ok,
            f"{_mark(cat_ok)} {age} 岁，{grade}："
            + ("、".join(kinds) if kinds else f"不是老年人（≥{rules.elderly_age}）、残疾人或未成年人（<{rules.minor_age}）")
            + " / elderly, disabled or minor",
            rid,
        ),
        Condition(
            "tekun", "no_work_capacity", m.work_capacity, False, not m.work_capacity,
            f"{_mark(not m.work_capacity)} {'有' if m.work_capacity else '无'}劳动能力 / "
            f"{'has' if m.work_capacity else 'no'} capacity to work",
            rid,
        ),
    ]  # fmt: skip
    own = to_fen(m.income.total()) - to_fen(m.disregarded_total)
    monthly = own // 12
    ok = monthly < lim.dibao
    out.append(
        Condition(
            "tekun", "own_income_below_standard", yuan(monthly), yuan(lim.dibao), ok,
            f"{_mark(ok)} 本人月收入 {fmt(monthly)} 元{'<' if ok else '≥'}低保标准 {fmt(lim.dibao)} 元"
            " / own monthly income below the dibao standard",
            rid,
        )
    )  # fmt: skip
    assets = _asset_conditions(m.own_assets, 1, lim, lim.tekun_deposits, "tekun", rid)
    out.extend(assets)
    failed = sum(not c.met for c in assets)
    out.append(
        Condition(
            "tekun", "own_assets_within_limits", failed, 0, failed == 0,
            f"{_mark(failed == 0)} 本人财产 {failed} 项超过特困人员财产上限（存款上限按特困人员基本生活标准"
            f" {fmt(to_fen(tekun_std))} 元/月计）/ own asset limits exceeded",
            rid,
        )
    )  # fmt: skip
    able = sum(s.able for s in m.supporters)
    ok = able == 0
    out.append(
        Condition(
            "tekun", "no_able_supporter", able, 0, ok,
            f"{_mark(ok)} 法定义务人 {len(m.supporters)} 人，其中有履行能力 {able} 人 / "
            "legal supporters able to support",
            rid,
        )
    )  # fmt: skip
    met = cat_ok and not m.work_capacity and ok and monthly < lim.dibao and failed == 0
    return met, out


def _add_months(day: date, months: int) -> date:
    k = day.month - 1 + months
    y, m = day.year + k // 12, k % 12 + 1
    import calendar

    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def decide(
    record: EconomicRecord, *, standard: Standard, on: date, params: ParameterSet | None = None
) -> Decision:
    """Decide what ``record``'s household qualifies for on ``on`` under ``standard``."""
    rules = rules_for(on, params)
    _check_kinds(record, rules)
    lim = limits_for(standard, rules)
    n = len(record.members)
    income = sum(to_fen(m.income.total()) for m in record.members)
    disregarded = sum(to_fen(m.disregarded_total) for m in record.members)
    counted = income - disregarded
    per_month = counted // (12 * n)
    per_year = counted // n
    rigid = to_fen(record.rigid_total)
    after = (counted - rigid) // (12 * n)

    conds: list[Condition] = []
    assets = _asset_conditions(record.assets, n, lim, lim.deposits, "assets", None)
    conds.extend(assets)
    failed = sum(not c.met for c in assets)
    assets_ok = failed == 0

    tekun_members: list[str] = []
    for m in record.members:
        met, cs = _tekun(m, on, rules, lim, standard.tekun)
        conds.extend(cs)
        if met:
            tekun_members.append(m.resident_id)

    income_text = (
        f"家庭 {n} 人，12 个月收入 {fmt(income)} 元 − 不计入项目 {fmt(disregarded)} 元 = "
        f"{fmt(counted)} 元，人均月收入 {fmt(per_month)} 元"
    )
    dibao_income = per_month < lim.dibao
    conds.append(
        Condition(
            "dibao", "income_below_standard", yuan(per_month), yuan(lim.dibao), dibao_income,
            f"{_mark(dibao_income)} {income_text}{'<' if dibao_income else '≥'}低保标准 "
            f"{fmt(lim.dibao)} 元 / income per person per month below the dibao standard",
        )
    )  # fmt: skip
    conds.append(_summary("dibao", failed))
    is_dibao = dibao_income and assets_ok

    conds.append(
        Condition("dibao_edge", "not_dibao", is_dibao, False, not is_dibao,
                  f"{_mark(not is_dibao)} {'符合' if is_dibao else '不符合'}低保条件 / dibao")
    )  # fmt: skip
    no_tekun = not tekun_members
    conds.append(
        Condition(
            "dibao_edge", "no_tekun_member", len(tekun_members), 0, no_tekun,
            f"{_mark(no_tekun)} 特困人员 {len(tekun_members)} 人 / tekun members",
        )
    )  # fmt: skip
    edge_income = per_month < lim.edge
    conds.append(
        Condition(
            "dibao_edge", "income_below_edge_limit", yuan(per_month), yuan(lim.edge), edge_income,
            f"{_mark(edge_income)} 人均月收入 {fmt(per_month)} 元{'<' if edge_income else '≥'} "
            f"{float(rules.edge_multiple):g} × 低保标准 = {fmt(lim.edge)} 元 / below the near-dibao limit",
        )
    )  # fmt: skip
    conds.append(_summary("dibao_edge", failed))
    is_edge = not is_dibao and no_tekun and edge_income and assets_ok

    conds.append(
        Condition("rigid_expense", "not_dibao_or_edge", is_dibao or is_edge, False,
                  not (is_dibao or is_edge),
                  f"{_mark(not (is_dibao or is_edge))} "
            + ("已符合低保或低保边缘条件 / already dibao or near-dibao" if is_dibao or is_edge
               else "不属于低保、低保边缘家庭 / neither dibao nor near-dibao"))
    )  # fmt: skip
    conds.append(
        Condition("rigid_expense", "no_tekun_member", len(tekun_members), 0, no_tekun,
                  f"{_mark(no_tekun)} 特困人员 {len(tekun_members)} 人 / tekun members")
    )  # fmt: skip
    low_annual = per_year < lim.disposable_income
    conds.append(
        Condition(
            "rigid_expense", "annual_income_below_disposable_income", yuan(per_year),
            yuan(lim.disposable_income), low_annual,
            f"{_mark(low_annual)} 人均年收入 {fmt(per_year)} 元{'<' if low_annual else '≥'}上年当地"
            f"居民人均可支配收入 {fmt(lim.disposable_income)} 元 / below last year's disposable income",
        )
    )  # fmt: skip
    conds.append(_summary("rigid_expense", failed))
    hard = after < lim.after_expense
    conds.append(
        Condition(
            "rigid_expense", "income_after_expenses_below_limit", yuan(after),
            yuan(lim.after_expense), hard,
            f"{_mark(hard)} （收入 {fmt(counted)} − 刚性支出 {fmt(rigid)}）/ 12 / {n} = {fmt(after)} 元"
            f"{'<' if hard else '≥'} {float(rules.after_expense_multiple):g} × 低保标准 = "
            f"{fmt(lim.after_expense)} 元（暂定 PROVISIONAL）/ income after rigid expenses",
        )
    )  # fmt: skip
    is_rigid = not (is_dibao or is_edge) and no_tekun and low_annual and assets_ok and hard

    decision = (
        "dibao"
        if is_dibao
        else "dibao_edge"
        if is_edge
        else "rigid_expense"
        if is_rigid
        else "none"
    )
    return Decision(
        decision=decision,
        tekun_members=tuple(tekun_members),
        income_per_person_month=yuan(per_month),
        standard=standard,
        conditions=tuple(conds),
        parameter_version=rules.version,
        valid_until=_add_months(on, rules.valid_months) if is_rigid else None,
    )


_FIELDS = {"id", "county", "urban", "date", "members", "assets", "rigid_expenses"}


def check_from_json(
    obj: Any, standards: StandardSet, params: ParameterSet | None = None
) -> Decision:
    """One ``eligibility check`` input object → its decision (raises :class:`CalcError`)."""
    if not isinstance(obj, dict):
        raise CalcError("每行应为一个 JSON 对象 / each line must be a JSON object")
    unknown = set(obj) - _FIELDS
    if unknown:
        raise CalcError(f"未知字段 / unknown field(s): {', '.join(sorted(unknown))}")
    for key in ("county", "urban", "date", "members"):
        if key not in obj:
            raise CalcError(f"缺少字段 / missing field: {key}")
    from safetynet.regions.tree import Level, RegionCodeError, canonical, level_of

    try:
        county = canonical(str(obj["county"]))
    except RegionCodeError:
        county = ""
    if not county or level_of(county) != Level.COUNTY:
        raise CalcError(f"county 应为6位县级区划代码 / must be a county code: {obj['county']!r}")
    if not isinstance(obj["urban"], bool):
        raise CalcError(f"urban 应为 true/false / must be a boolean, got {obj['urban']!r}")
    try:
        on = date.fromisoformat(str(obj["date"]))
    except ValueError:
        raise CalcError(f"date 应为日期 YYYY-MM-DD / not a date: {obj['date']!r}") from None
    record = EconomicRecord.from_json(obj)
    standard = standards.resolve(county, obj["urban"], on)
    return decide(record, standard=standard, on=on, params=params)
