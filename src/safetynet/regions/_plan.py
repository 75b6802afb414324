"""Planning a division import (pure): validate rows, settle duplicates, check parents, diff.

The database is consulted only through ``existing``: the rows already stored for the codes
the plan asks about (see :func:`codes_to_look_up`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from safetynet.regions._files import RawRow
from safetynet.regions.tree import RegionCodeError, canonical, parent_of

__all__ = [
    "Candidate",
    "Plan",
    "Stored",
    "canonical_or_none",
    "codes_to_look_up",
    "make_plan",
    "validate",
]

NAME_MAX = 100
BAD_CODE = (
    "区划代码格式错误：应为 2、4、6、9 或 12 位数字 / bad code: must be 2, 4, 6, 9 or 12 digits"
)


@dataclass(frozen=True)
class Stored:
    """What the database holds for a code."""

    name: str
    level: int
    parent_code: str | None


@dataclass(frozen=True)
class Candidate:
    """A row that passed the checks of its own: canonical code, name, derived parent."""

    row: RawRow
    code: str
    name: str
    parent_code: str | None

    @property
    def level(self) -> int:
        return len(self.code)


@dataclass
class Plan:
    """What an import will do: rows to insert (by level), update, leave, and reject."""

    insert: list[Candidate] = field(default_factory=list)
    update: list[Candidate] = field(default_factory=list)
    unchanged: list[Candidate] = field(default_factory=list)
    duplicates: list[RawRow] = field(default_factory=list)
    rejected: list[tuple[RawRow, str]] = field(default_factory=list)


def validate(row: RawRow) -> Candidate | str:
    """A candidate, or the reason the row is rejected on its own.

    >>> validate(RawRow("f.csv", 2, "620100", "兰州市")).code
    '6201'
    >>> validate(RawRow("f.csv", 3, "62010", "x"))
    '区划代码格式错误：应为 2、4、6、9 或 12 位数字 / bad code: must be 2, 4, 6, 9 or 12 digits'
    """
    if not row.code:
        return "区划代码为空 / empty code"
    try:
        code = canonical(row.code)
    except RegionCodeError:
        return BAD_CODE
    if not row.name:
        return "名称为空 / empty name"
    if len(row.name) > NAME_MAX:
        return f"名称超过 {NAME_MAX} 字 / name longer than {NAME_MAX} characters"
    for label, value in row.parents:
        try:
            ok = code.startswith(canonical(value))  # an ancestor (or the code itself)
        except RegionCodeError:
            ok = False
        if not ok:
            return (
                f"上级代码 {label}={value} 与代码 {row.code} 不符 / "
                f"parent column {label}={value} does not match code {row.code}"
            )
    return Candidate(row, code, row.name, parent_of(code))


def codes_to_look_up(candidates: Iterable[Candidate]) -> set[str]:
    """Codes whose stored rows the plan needs: the candidates and their parents."""
    out: set[str] = set()
    for c in candidates:
        out.add(c.code)
        if c.parent_code:
            out.add(c.parent_code)
    return out


def _settle_duplicates(candidates: list[Candidate], plan: Plan) -> dict[str, Candidate]:
    """One candidate per code; a code given twice with different names is rejected."""
    by_code: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_code[c.code].append(c)
    chosen: dict[str, Candidate] = {}
    for code, group in by_code.items():
        names = sorted({c.name for c in group})
        if len(names) > 1:
            shown = " / ".join(names)
            reason = (
                f"代码 {code} 在本次导入中出现多次且名称不同（{shown}）/ "
                f"code {code} appears more than once with different names"
            )
            plan.rejected.extend((c.row, reason) for c in group)
            continue
        chosen[code] = group[0]
        plan.duplicates.extend(c.row for c in group[1:])
    return chosen


def make_plan(
    rows: Sequence[RawRow],
    existing: Mapping[str, Stored] | None = None,
    *,
    checked: Sequence[Candidate | str] | None = None,
) -> Plan:
    """Decide every row, processing levels top-down so that files may come in any order.

    ``existing`` holds the stored rows for (at least) :func:`codes_to_look_up`;
    ``checked`` may pass ``[validate(r) for r in rows]`` when already computed.

    >>> rows = [RawRow("t.csv", 2, "620102001", "酒泉路街道"), RawRow("c.csv", 2, "62", "甘肃省"),
    ...         RawRow("c.csv", 3, "6201", "兰州市"), RawRow("t.csv", 3, "620199001", "孤儿")]
    >>> plan = make_plan(rows)
    >>> [c.code for c in plan.insert], [r.code for r, _ in plan.rejected]
    (['62', '6201'], ['620102001', '620199001'])
    """
    existing = existing or {}
    plan = Plan()
    if checked is None:
        checked = [validate(row) for row in rows]
    candidates: list[Candidate] = []
    for row, result in zip(rows, checked, strict=True):
        if isinstance(result, str):
            plan.rejected.append((row, result))
        else:
            candidates.append(result)
    chosen = _settle_duplicates(candidates, plan)
    rejected_codes = {canonical_or_none(r.code) for r, _ in plan.rejected} - {None}
    accepted: set[str] = set()
    for c in sorted(chosen.values(), key=lambda c: (c.level, c.code)):
        parent = c.parent_code
        if parent is not None and parent not in accepted and parent not in existing:
            if parent in rejected_codes:
                reason = (
                    f"上级区划 {parent} 在本次导入中被拒绝 / "
                    f"parent {parent} was rejected in this import"
                )
            else:
                reason = (
                    f"上级区划 {parent} 不存在（数据库和本次导入中都没有）/ "
                    f"parent {parent} is neither in the database nor in this import"
                )
            plan.rejected.append((c.row, reason))
            rejected_codes.add(c.code)
            continue
        accepted.add(c.code)
        stored = existing.get(c.code)
        if stored is None:
            plan.insert.append(c)
        elif (stored.name, stored.level, stored.parent_code) != (c.name, c.level, parent):
            plan.update.append(c)
        else:
            plan.unchanged.append(c)
    plan.rejected.sort(key=lambda item: (item[0].file, item[0].line))
    return plan


def canonical_or_none(code: str) -> str | None:
    """The canonical code, or None when ``code`` is not a division code."""
    try:
        return canonical(code)
    except RegionCodeError:
        return None
