"""Medical assistance (医疗救助): premium subsidy, assistance, second round, self-pay.

Pure rules over dated parameters (``medical.*``). Money is handled in integer fen and every
result is rounded half-up to the fen once, where it is paid. Two modes:

* **annual** — one year's total in-policy out-of-pocket amount, nothing paid before
  (:func:`annual`);
* **per claim** — one settlement with the person's year-to-date state, which it returns updated
  (:func:`settle_claim`). Settling the claims of a year one by one from :data:`YearToDate`
  zero gives the annual figures, up to a fen of rounding per claim on the assistance line.

>>> r = annual(group="dibao", oop=25000, year=2024, dibao_class="rural_1")
>>> r.premium_subsidy, r.assistance, r.second_round, r.self_pay
(Decimal('310.00'), Decimal('17500.00'), Decimal('1050.00'), Decimal('6450.00'))
>>> r = annual(group="ill_impoverished", oop=5000, year=2024)
>>> r.assistance, r.second_round, r.self_pay
(Decimal('0.00'), Decimal('0.00'), Decimal('5000.00'))
>>> annual(group="dibao", oop=100, year=2024).premium_subsidy is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from safetynet import codes
from safetynet.parameters import ParameterError, ParameterSet
from safetynet.policy._medical_results import ClaimResult, MedicalResult, YearToDate, case_from_json
from safetynet.policy._money import CalcError, fmt, mul_round, ratio, shipped, to_fen, yuan

__all__ = [
    "DIBAO_CLASSES",
    "GROUPS",
    "GROUP_NAMES",
    "ClaimResult",
    "MedicalResult",
    "MedicalRules",
    "YearToDate",
    "annual",
    "case_from_json",
    "is_major_disease",
    "premium_subsidy",
    "rules_for",
    "settle_claim",
]

#: Medical-assistance groups in rank order, with their names (:data:`safetynet.codes.MEDICAL_GROUPS`).
GROUPS: tuple[str, ...] = tuple(codes.MEDICAL_GROUPS)
GROUP_NAMES = codes.MEDICAL_GROUPS
DIBAO_CLASSES: tuple[str, ...] = tuple(codes.DIBAO_CLASSES)
DIBAO_CLASS_NAMES = codes.DIBAO_CLASSES


@dataclass(frozen=True, slots=True)
class MedicalRules:
    """The medical parameters in force on one day, in fen and exact fractions."""

    on: date
    version: str
    contribution: int
    premium: dict[str, int]
    premium_dibao: dict[str, int]
    ratio: dict[str, Fraction]
    deductible: dict[str, int]
    cap: int
    cap_major: int
    threshold: int
    second_ratio: Fraction
    second_groups: frozenset[str]
    major_prefixes: tuple[str, ...]


def _fen_map(params: ParameterSet, prefix: str, on: date) -> dict[str, int]:
    return {k: to_fen(v, field=f"{prefix}.{k}") for k, v in params.children(prefix, on).items()}


_RULES: dict[tuple[str, date], MedicalRules] = {}


def rules_for(on: date, params: ParameterSet | None = None) -> MedicalRules:
    """Resolve every ``medical.*`` parameter for ``on`` (raises before the first value)."""
    ps = params or shipped()
    key = (ps.version_of("medical"), on)  # the version is a content hash
    if key not in _RULES:
        if len(_RULES) > 256:
            _RULES.clear()
        try:
            _RULES[key] = _resolve(on, ps)
        except ParameterError as exc:
            raise CalcError(
                f"{on} 没有适用的医疗救助参数 / no medical parameters in force on {on}: {exc}"
            ) from None
    return _RULES[key]


def _resolve(on: date, ps: ParameterSet) -> MedicalRules:
    ratios = {k: ratio(v) for k, v in ps.children("medical.assistance.ratio", on).items()}
    rules = MedicalRules(
        on=on,
        version=ps.version_of("medical"),
        contribution=to_fen(ps.number("medical.contribution", on)),
        premium=_fen_map(ps, "medical.premium_subsidy", on),
        premium_dibao=_fen_map(ps, "medical.premium_subsidy.dibao", on),
        ratio=ratios,
        deductible=_fen_map(ps, "medical.assistance.deductible", on),
        cap=to_fen(ps.number("medical.assistance.cap", on)),
        cap_major=to_fen(ps.number("medical.assistance.cap_major_disease", on)),
        threshold=to_fen(ps.number("medical.second_round.threshold", on)),
        second_ratio=ratio(ps.number("medical.second_round.ratio", on)),
        second_groups=frozenset(ps.get("medical.second_round.groups", on)),
        major_prefixes=tuple(ps.get("medical.major_diseases.icd10_prefixes", on)),
    )
    for table in ("premium", "ratio", "deductible"):
        missing = (
            set(GROUPS) - set(getattr(rules, table)) - ({"dibao"} if table == "premium" else set())
        )
        if missing:
            raise CalcError(f"medical parameters: {table} lacks group(s) {sorted(missing)}")
    return rules


def _check_group(group: Any) -> str:
    if group not in GROUPS:
        raise CalcError(
            f"未知的医疗救助类别 / unknown group {group!r}; 可用 / use: {', '.join(GROUPS)}"
        )
    return str(group)


def is_major_disease(icd10: str, on: date, params: ParameterSet | None = None) -> bool:
    """Whether an ICD-10 code is one of the 35 major diseases (prefix match, dots ignored).

    >>> is_major_disease("C50.9", date(2024, 3, 1)), is_major_disease("J18.9", date(2024, 3, 1))
    (True, False)
    """
    code = icd10.strip().upper().replace(".", "")
    prefixes = rules_for(on, params).major_prefixes
    return any(code.startswith(p.upper().replace(".", "")) for p in prefixes)


def _premium(rules: MedicalRules, group: str, dibao_class: str | None) -> tuple[int | None, str]:
    label = GROUP_NAMES[group]
    if group == "dibao":
        if dibao_class is None:
            return None, (
                "参保资助：低保对象未提供低保类别，无法确定资助金额（310 或 250 元）"
                " / premium subsidy unknown: dibao_class is missing"
            )
        if dibao_class not in rules.premium_dibao:
            raise CalcError(
                f"未知的低保类别 / unknown dibao_class {dibao_class!r}; 可用 / use: "
                + ", ".join(DIBAO_CLASSES)
            )
        amount = rules.premium_dibao[dibao_class]
        label = f"低保对象（{DIBAO_CLASS_NAMES.get(dibao_class, dibao_class)}）"
    else:
        amount = rules.premium[group]
    note = f"参保资助：{label} {fmt(amount)} 元"
    if amount > rules.contribution:
        note += f"，超过个人缴费 {fmt(rules.contribution)} 元，按缴费额资助"
        amount = rules.contribution
    else:
        note += f"（个人缴费 {fmt(rules.contribution)} 元）"
    return amount, note


def premium_subsidy(
    group: str, dibao_class: str | None = None, *, year: int, params: ParameterSet | None = None
) -> tuple[Decimal | None, list[str]]:
    """Premium subsidy for ``year`` (None for dibao without class) and its explanation.

    >>> premium_subsidy("tekun", year=2024)
    (Decimal('380.00'), ['参保资助：特困人员 380.00 元（个人缴费 380.00 元）'])
    """
    rules = rules_for(date(year, 1, 1), params)
    amount, note = _premium(rules, _check_group(group), dibao_class)
    return (None if amount is None else yuan(amount)), [note]


def _settle(
    rules: MedicalRules, group: str, claim: int, major: bool, state: tuple[int, ...]
) -> tuple[int, int, int, int, list[str]]:
    """Core in fen: (deductible applied, assistance, second round, self-pay, explanation)."""
    s_oop, s_ded, s_ast, s_sec, _s_self = state
    notes: list[str] = [f"政策范围内个人自付 {fmt(claim)} 元（{GROUP_NAMES[group]}）"]
    frac, deductible = rules.ratio[group], rules.deductible[group]
    ded_now = min(claim, max(0, deductible - s_ded))
    if deductible:
        notes.append(
            f"年度起付标准 {fmt(deductible)} 元：此前已计入 {fmt(min(s_ded, deductible))} 元，"
            f"本次计入 {fmt(ded_now)} 元"
        )
    eligible = claim - ded_now
    assistance = 0
    if frac and eligible:
        raw = mul_round(eligible, frac)
        cap = rules.cap_major if major else rules.cap
        room = max(0, cap - s_ast)
        assistance = min(raw, room)
        notes.append(f"医疗救助：{fmt(eligible)} × {float(frac):.0%} = {fmt(raw)} 元")
        if raw > room:
            kind = "重特大疾病年度限额" if major else "年度救助限额"
            notes.append(
                f"{kind} {fmt(cap)} 元，年内已救助 {fmt(s_ast)} 元，本次封顶为 {fmt(assistance)} 元"
            )
    elif not frac:
        notes.append("非医疗救助对象，不予救助 / not an assistance group")
    still = s_oop - s_ast + claim - assistance  # what the person still pays in the year
    second = 0
    if group in rules.second_groups:
        above = max(0, still - rules.threshold)
        target = mul_round(above, rules.second_ratio)
        second = min(max(0, target - s_sec), claim - assistance)
        if above:
            pct = f"{float(rules.second_ratio):.0%}"
            notes.append(
                f"二次救助：年内个人仍自付 {fmt(still)} 元，超过 {fmt(rules.threshold)} 元部分 "
                f"{fmt(above)} × {pct} = {fmt(target)} 元"
                + (f"，年内此前已付 {fmt(s_sec)} 元，本次 {fmt(second)} 元" if s_sec else "")
            )
        else:
            notes.append(
                f"二次救助：年内个人仍自付 {fmt(still)} 元，未超过 {fmt(rules.threshold)} 元，不予二次救助"
            )
    self_pay = claim - assistance - second
    notes.append(
        f"个人自付 {fmt(self_pay)} = {fmt(claim)} − 救助 {fmt(assistance)} − 二次救助 {fmt(second)}"
    )
    return ded_now, assistance, second, self_pay, notes


def settle_claim(
    *,
    group: str,
    oop: Decimal | int | str,
    on: date,
    ytd: YearToDate | None = None,
    major_disease: bool = False,
    params: ParameterSet | None = None,
) -> ClaimResult:
    """Settle one claim of ``oop`` on ``on`` against the year-to-date state ``ytd``.

    >>> first = settle_claim(group="ill_impoverished", oop=3000, on=date(2024, 2, 1))
    >>> first.assistance, first.ytd.deductible_consumed
    (Decimal('0.00'), Decimal('3000.00'))
    >>> second = settle_claim(group="ill_impoverished", oop=4000, on=date(2024, 5, 1), ytd=first.ytd)
    >>> second.deductible_applied, second.assistance, second.self_pay
    (Decimal('2000.00'), Decimal('1400.00'), Decimal('2600.00'))
    """
    rules = rules_for(on, params)
    group = _check_group(group)
    state = ytd or YearToDate(year=on.year)
    if state.year != on.year:
        raise CalcError(
            f"累计状态属于 {state.year} 年，本次结算在 {on.year} 年 / year-to-date state is for "
            f"{state.year}, claim is in {on.year}: start a new year from zero"
        )
    if not isinstance(major_disease, bool):
        raise CalcError(f"major_disease 应为 true/false / must be a boolean, got {major_disease!r}")
    claim = to_fen(oop, field="oop")
    before = state.fen()
    ded, ast, sec, slf, notes = _settle(rules, group, claim, major_disease, before)
    after = YearToDate(
        year=state.year,
        oop=yuan(before[0] + claim),
        deductible_consumed=yuan(before[1] + ded),
        assistance=yuan(before[2] + ast),
        second_round=yuan(before[3] + sec),
        self_pay=yuan(before[4] + slf),
    )
    return ClaimResult(
        assistance=yuan(ast),
        second_round=yuan(sec),
        self_pay=yuan(slf),
        deductible_applied=yuan(ded),
        ytd=after,
        parameter_version=rules.version,
        explanation=tuple(notes),
    )


def annual(
    *,
    group: str,
    oop: Decimal | int | str,
    year: int,
    major_disease: bool = False,
    dibao_class: str | None = None,
    params: ParameterSet | None = None,
) -> MedicalResult:
    """A year's premium subsidy and assistance on a total ``oop``, nothing paid before."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 < year < 3000:
        raise CalcError(f"year 应为年份整数 / must be a year such as 2024, got {year!r}")
    on = date(year, 1, 1)
    rules = rules_for(on, params)
    premium, note = _premium(rules, _check_group(group), dibao_class)
    claim = settle_claim(group=group, oop=oop, on=on, major_disease=major_disease, params=params)
    return MedicalResult(
        premium_subsidy=None if premium is None else yuan(premium),
        assistance=claim.assistance,
        second_round=claim.second_round,
        self_pay=claim.self_pay,
        parameter_version=rules.version,
        explanation=(note, *claim.explanation),
    )
