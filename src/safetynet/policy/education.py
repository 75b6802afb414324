"""National student grants (国家助学金): wanted tier per student, allocation per school.

A student's hardship level (特别困难 / 困难 / 一般困难) gives the tier they want; a family
registry status of tekun, dibao, orphan or disabled makes them most in need (treated as
特别困难). The allocation funds at most ``funded`` students, most in need first, and keeps the
school's total ≤ average × funded students, as close to it as the tiers allow. School types in
``education.everyone_funded_school_types`` (full-time veteran students: 全部享受, 3,300 each) fund
every student on the list and need no quota; a smaller quota given anyway is ignored with a notice.

1. wanted tiers; 2. while over budget, downgrade one tier at a time, least in need first
(round-robin inside a need group); 3. while a step still fits, give back downgraded tiers and
then raise tiers, most in need first. Ties are broken by 学号, so the result is deterministic.

>>> s = [Student("1", "甲", "", "特别困难"), Student("2", "乙", "", "困难"),
...      Student("3", "丙", "", "困难")]
>>> a = allocate(s, school_type="undergraduate", funded=2, year=2024)
>>> [(g.student.student_no, int(g.amount)) for g in a.grants]
[('1', 4500), ('2', 2000), ('3', 0)]
>>> a.total, a.budget
(Decimal('6500.00'), Decimal('6600.00'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from safetynet.parameters import ParameterSet
from safetynet.policy._money import CalcError, fmt, shipped, to_fen, yuan

__all__ = [
    "LEVELS",
    "SCHOOL_TYPES",
    "Allocation",
    "Grant",
    "Student",
    "allocate",
    "parse_level",
    "parse_statuses",
    "school_tiers",
    "wanted_index",
    "with_statuses",
]

SCHOOL_TYPES = ("undergraduate", "veteran", "secondary_provincial", "secondary_local")
_SCHOOL_NAMES = {
    "undergraduate": ("本专科生", "undergraduate student"),
    "veteran": ("全日制在校退役士兵学生", "full-time veteran student"),
    "secondary_provincial": ("省属中职和普通高中学生", "provincial secondary student"),
    "secondary_local": ("市县中职和普通高中学生", "local secondary student"),
}
LEVELS = ("一般困难", "困难", "特别困难")  # index = need rank
_LEVEL_ALIASES = {
    "一般困难": 0,
    "一般": 0,
    "general": 0,
    "困难": 1,
    "比较困难": 1,
    "较困难": 1,
    "hardship": 1,
    "特别困难": 2,
    "特困难": 2,
    "special": 2,
}
_STATUS_ALIASES = {
    "tekun": "tekun",
    "特困": "tekun",
    "特困人员": "tekun",
    "特困供养": "tekun",
    "dibao": "dibao",
    "低保": "dibao",
    "低保对象": "dibao",
    "低保户": "dibao",
    "orphan": "orphan",
    "孤儿": "orphan",
    "事实无人抚养儿童": "orphan",
    "disabled": "disabled",
    "残疾": "disabled",
    "残疾人": "disabled",
    "残疾学生": "disabled",
}


def parse_level(text: str) -> int:
    """Hardship level text → need rank 0..2.

    >>> parse_level(" 特别困难 "), parse_level("比较困难")
    (2, 1)
    """
    key = str(text).strip()
    if key not in _LEVEL_ALIASES:
        raise CalcError(f"困难等级应为 特别困难/困难/一般困难 / unknown hardship level {text!r}")
    return _LEVEL_ALIASES[key]


def parse_statuses(text: str | None) -> frozenset[str]:
    """家庭身份 cell (separated by 、,，;；/ or spaces) → status codes; unknown words are kept.

    >>> sorted(parse_statuses("低保、残疾人"))
    ['dibao', 'disabled']
    """
    if not text:
        return frozenset()
    for sep in "、,，;；/":
        text = text.replace(sep, " ")
    return frozenset(_STATUS_ALIASES.get(w, w) for w in text.split())


@dataclass(frozen=True, slots=True)
class Student:
    """One row of the school's list (``statuses``: registry status codes, e.g. dibao)."""

    student_no: str
    name: str
    resident_id: str
    level: str
    statuses: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Grant:
    """One student's grant: wanted and granted amount (yuan) with the reasons."""

    student: Student
    wanted: Decimal
    amount: Decimal
    most_in_need: bool
    rank: int  # 1 = most in need
    explanation: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Allocation:
    """A school's allocation: grants in input order, totals and the parameter version.

    ``notices`` are bilingual remarks about the input the caller should show (e.g. a quota that
    does not apply); they are also part of ``explanation``.
    """

    school_type: str
    tiers: tuple[Decimal, ...]
    average: Decimal
    funded: int
    budget: Decimal
    total: Decimal
    parameter_version: str
    grants: list[Grant] = field(default_factory=list)
    explanation: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def downgraded(self) -> int:
        """Students granted less than their tier wanted (but not nothing)."""
        return sum(1 for g in self.grants if 0 < g.amount < g.wanted)


def with_statuses(
    students: Sequence[Student], found: Mapping[str, frozenset[str]]
) -> list[Student]:
    """The students with the registry statuses ``found`` (by resident ID) added to the ones
    their list gives.

    >>> s = Student("1", "张三", "620102200501010011", "A", frozenset({"orphan"}))
    >>> sorted(with_statuses([s], {"620102200501010011": frozenset({"dibao"})})[0].statuses)
    ['dibao', 'orphan']
    """
    return [
        replace(s, statuses=s.statuses | found.get(s.resident_id, frozenset())) for s in students
    ]


def school_tiers(
    school_type: str,
    *,
    on: date,
    tiers: Sequence[Decimal | int | str] | None = None,
    params: ParameterSet | None = None,
) -> tuple[list[int], int]:
    """(tiers ascending in fen, average in fen) for a school type; local tiers must be given.

    >>> school_tiers("undergraduate", on=date(2024, 9, 1))
    ([200000, 330000, 450000], 330000)
    """
    ps = params or shipped()
    if school_type not in SCHOOL_TYPES:
        raise CalcError(
            f"未知的学校类型 / unknown school type {school_type!r}; 可用 / use: {', '.join(SCHOOL_TYPES)}"
        )
    base = f"education.grants.{school_type}"
    average = to_fen(ps.number(f"{base}.average", on))
    if school_type != "secondary_local":
        if tiers:
            raise CalcError(
                f"{school_type} 的档次由省级规定，不能自定 / tiers are fixed for this type"
            )
        return [to_fen(t) for t in ps.get(f"{base}.tiers", on)], average
    if not tiers:
        raise CalcError(
            "市县学校须给出 2–3 个档次，如 --tiers 1000,2000,3000 / give the local tiers"
        )
    fen = [to_fen(t, field="tier") for t in tiers]
    lo, hi = to_fen(ps.number(f"{base}.tier_min", on)), to_fen(ps.number(f"{base}.tier_max", on))
    nmin, nmax = (
        int(ps.number(f"{base}.tier_count_min", on)),
        int(ps.number(f"{base}.tier_count_max", on)),
    )
    if not nmin <= len(fen) <= nmax or fen != sorted(set(fen)):
        raise CalcError(
            f"档次须为 {nmin}–{nmax} 个互不相同的金额 / need {nmin}–{nmax} distinct tiers"
        )
    if fen[0] < lo or fen[-1] > hi:
        raise CalcError(f"档次须在 {fmt(lo)}–{fmt(hi)} 元之间 / tiers must lie within the range")
    return fen, average


def wanted_index(rank: int, tier_count: int) -> int:
    """Tier index wanted for a need rank 0..2: three tiers map one to one; with two tiers only
    特别困难 gets the higher one; with one tier everyone gets it.

    >>> [wanted_index(r, 3) for r in range(3)], [wanted_index(r, 2) for r in range(3)]
    ([0, 1, 2], [0, 0, 1])
    """
    if tier_count >= 3:
        return min(rank, tier_count - 1) if rank < 2 else tier_count - 1
    if tier_count == 2:
        return 1 if rank == 2 else 0
    return 0


def allocate(
    students: Sequence[Student],
    *,
    school_type: str,
    funded: int | None,
    year: int,
    tiers: Sequence[Decimal | int | str] | None = None,
    params: ParameterSet | None = None,
) -> Allocation:
    """Allocate grants for one school and school year (parameters of 1 September of ``year``).

    ``funded`` is the quota; it may be None only for a school type that funds everyone.

    >>> v = [Student("V1", "甲", "", "困难"), Student("V2", "乙", "", "一般困难")]
    >>> a = allocate(v, school_type="veteran", funded=1, year=2024)
    >>> [int(g.amount) for g in a.grants], a.funded, len(a.notices)
    ([3300, 3300], 2, 1)
    """
    ps = params or shipped()
    on = date(year, 9, 1)
    fen_tiers, average = school_tiers(school_type, on=on, tiers=tiers, params=ps)
    everyone = school_type in ps.get("education.everyone_funded_school_types", on)
    if funded is not None and funded < 0:
        raise CalcError("资助名额不能为负 / funded count must not be negative")
    if funded is None and not everyone:
        raise CalcError(
            f"{_SCHOOL_NAMES[school_type][0]}须给出资助名额 / the funded count (quota) is "
            f"required for {school_type}"
        )
    most = frozenset(ps.get("education.most_in_need_statuses", on))
    seen: set[str] = set()
    for s in students:
        if s.student_no in seen:
            raise CalcError(f"学号重复 / duplicate student number {s.student_no}")
        seen.add(s.student_no)
    levels = [parse_level(s.level) for s in students]
    flags = [bool(s.statuses & most) for s in students]
    need = [(2 if f else lv, int(f), lv) for lv, f in zip(levels, flags, strict=True)]
    order = sorted(
        range(len(students)), key=lambda i: (tuple(-x for x in need[i]), students[i].student_no)
    )
    k = len(fen_tiers)
    wanted = [wanted_index(need[i][0], k) for i in range(len(students))]
    notes: list[list[str]] = [[] for _ in students]
    for i, s in enumerate(students):
        why = f"困难等级 {LEVELS[levels[i]]}"
        if flags[i]:
            why += f"，家庭身份 {'、'.join(sorted(s.statuses & most))}（视为特别困难）"
        notes[i].append(f"{why}：应得 {fmt(fen_tiers[wanted[i]])} 元")
    notices: tuple[str, ...] = ()
    if everyone:
        zh, en = _SCHOOL_NAMES[school_type]
        if funded is not None and funded < len(students):
            notices = (
                f"{zh}全部资助（每生每年 {fmt(average)} 元）：名单 {len(students)} 人全部资助，"
                f"资助名额 {funded} 人不适用，已忽略 / every {en} is funded ({fmt(average)} a "
                f"year): all {len(students)} on the list are funded; the quota of {funded} is "
                "ignored",
            )
    quota = len(students) if everyone or funded is None else funded
    n_funded = min(quota, len(students))
    chosen, left_out = order[:n_funded], order[n_funded:]
    for pos, i in enumerate(left_out, start=n_funded + 1):
        notes[i].append(
            f"未获资助：需求排序第 {pos} 位，超出资助名额 {quota} 人 / beyond the quota"
        )
    budget = average * n_funded
    tier = {i: wanted[i] for i in chosen}
    total = sum(fen_tiers[t] for t in tier.values())
    # 1. over budget: downgrade, least in need group first, round-robin inside a group
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i in chosen:
        groups.setdefault(need[i], []).append(i)
    for key in sorted(groups):
        members = groups[key][::-1]  # least in need of the group first
        while total > budget and any(tier[i] > 0 for i in members):
            for i in members:
                if total <= budget:
                    break
                if tier[i] > 0:
                    total -= fen_tiers[tier[i]] - fen_tiers[tier[i] - 1]
                    tier[i] -= 1
    # 2. room left: give back downgrades, then raise, most in need first, one step per pass
    top = [k - 1] * len(students)
    for limit in (wanted, top):
        changed = True
        while changed:
            changed = False
            for i in chosen:
                if tier[i] < limit[i]:
                    step = fen_tiers[tier[i] + 1] - fen_tiers[tier[i]]
                    if total + step <= budget:
                        tier[i] += 1
                        total += step
                        changed = True
    for i in chosen:
        got, want = fen_tiers[tier[i]], fen_tiers[wanted[i]]
        if got < want:
            notes[i].append(
                f"下调至 {fmt(got)} 元：学校总额不得超过 平均 {fmt(average)} × 名额 {n_funded} = "
                f"{fmt(budget)} 元，按需求从低到高依次下调 / downgraded to keep within the budget"
            )
        elif got > want:
            notes[i].append(
                f"上调至 {fmt(got)} 元：总额仍低于 {fmt(budget)} 元，按需求从高到低上调 / raised"
            )
        else:
            notes[i].append(f"资助 {fmt(got)} 元")
    rank = {i: r for r, i in enumerate(order, start=1)}
    grants = [
        Grant(
            student=s,
            wanted=yuan(fen_tiers[wanted[i]]),
            amount=yuan(fen_tiers[tier[i]] if i in tier else 0),
            most_in_need=flags[i],
            rank=rank[i],
            explanation=tuple(notes[i]),
        )
        for i, s in enumerate(students)
    ]
    summary = (
        f"{len(students)} 名学生，名额 {quota}，资助 {n_funded} 人；预算 {fmt(budget)} 元，"
        f"分配 {fmt(total)} 元，差额 {fmt(budget - total)} 元",
    )
    return Allocation(
        school_type=school_type,
        tiers=tuple(yuan(t) for t in fen_tiers),
        average=yuan(average),
        funded=n_funded,
        budget=yuan(budget),
        total=yuan(total),
        parameter_version=ps.version_of("education"),
        grants=grants,
        explanation=summary + notices,
        notices=notices,
    )
