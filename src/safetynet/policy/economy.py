"""The household economic record (家庭经济状况核对): what a home visit finds, as pure data.

One record per household and visit: its members (resident ID, birth date, disability, capacity
to work, student), each member's income of the last 12 months by kind with the disregarded
items listed separately, the member's own assets and legal supporters (for tekun), the
household's assets and its rigid expenses of the last 12 months. Money is Decimal yuan with at
most two decimals (≥ 0); counts are whole numbers ≥ 0. The eligibility rules
(:mod:`safetynet.policy.eligibility`) read it; the workflow stores one per visit
(:meth:`EconomicRecord.as_json` / :meth:`EconomicRecord.from_json` round-trip).

>>> rec = EconomicRecord.from_json({
...     "members": [{"resident_id": "11010519491231002X", "income": {"transfers": 3600},
...                  "disregarded": {"dibao_benefit": 3600}}],
...     "assets": {"deposits": "12000.5", "homes": 1}})
>>> m = rec.members[0]
>>> m.birth_date, m.income.total(), m.disregarded_total, rec.assets.deposits
(datetime.date(1949, 12, 31), Decimal('3600.00'), Decimal('3600.00'), Decimal('12000.50'))
>>> EconomicRecord.from_json(rec.as_json()) == rec
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from safetynet import ids
from safetynet.codes import DISABILITY_TYPES
from safetynet.policy._money import CalcError, to_fen, yuan

__all__ = [
    "INCOME_KINDS",
    "Assets",
    "EconomicRecord",
    "Income",
    "Item",
    "Member",
    "Supporter",
]

ZERO = Decimal("0.00")
INCOME_KINDS = ("wages", "business", "property", "transfers")
#: disability kind: code or Chinese name → code (safetynet.codes.DISABILITY_TYPES)
_DISABILITY = {c: c for c in DISABILITY_TYPES} | {zh: c for c, zh in DISABILITY_TYPES.items()}


def _money(value: Any, field_name: str) -> Decimal:
    return yuan(to_fen(value, field=field_name))


def _count(value: Any, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CalcError(f"{field_name} 应为非负整数 / must be a whole number ≥ 0, got {value!r}")
    return value


def _flag(value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        raise CalcError(f"{field_name} 应为 true/false / must be a boolean, got {value!r}")
    return value


def _mapping(obj: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise CalcError(f"{where} 应为 JSON 对象 / must be a JSON object")
    unknown = set(obj) - allowed
    if unknown:
        raise CalcError(f"{where} 有未知字段 / unknown field(s): {', '.join(sorted(unknown))}")
    return obj


@dataclass(frozen=True, slots=True)
class Item:
    """A named amount: a disregarded income item or a rigid expense (yuan, last 12 months)."""

    kind: str
    amount: Decimal


def _items(obj: Any, where: str) -> tuple[Item, ...]:
    if obj is None:
        return ()
    if not isinstance(obj, dict):
        raise CalcError(f"{where} 应为 {{种类: 金额}} 对象 / must map kind to amount")
    out = []
    for kind, amount in obj.items():
        if not isinstance(kind, str) or not kind:
            raise CalcError(f"{where}: 种类应为非空字符串 / kind must be a non-empty string")
        out.append(Item(kind, _money(amount, f"{where}.{kind}")))
    return tuple(sorted(out, key=lambda i: i.kind))


def _items_json(items: tuple[Item, ...]) -> dict[str, Decimal]:
    return {i.kind: i.amount for i in items}


@dataclass(frozen=True, slots=True)
class Income:
    """One member's income of the last 12 months by kind (yuan)."""

    wages: Decimal = ZERO
    business: Decimal = ZERO
    property: Decimal = ZERO
    transfers: Decimal = ZERO

    def total(self) -> Decimal:
        """The four kinds added up."""
        return self.wages + self.business + self.property + self.transfers

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Income:
        data = _mapping(obj, set(INCOME_KINDS), where)
        return cls(**{k: _money(v, f"{where}.{k}") for k, v in data.items()})

    def as_json(self) -> dict[str, Decimal]:
        return {k: getattr(self, k) for k in INCOME_KINDS}


@dataclass(frozen=True, slots=True)
class Assets:
    """Assets of the household, or those in one member's own name (yuan and counts).

    ``deposits`` covers deposits and securities; ``vehicles`` counts motor vehicles (exempt
    ones, such as a disabled person's mobility vehicle, left out) and ``vehicle_value`` is their
    total value; ``homes`` counts homes; ``businesses`` counts registered enterprises a member
    holds.
    """

    deposits: Decimal = ZERO
    vehicles: int = 0
    vehicle_value: Decimal = ZERO
    homes: int = 0
    businesses: int = 0

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Assets:
        data = _mapping(
            obj, {"deposits", "vehicles", "vehicle_value", "homes", "businesses"}, where
        )
        return cls(
            deposits=_money(data.get("deposits", 0), f"{where}.deposits"),
            vehicles=_count(data.get("vehicles", 0), f"{where}.vehicles"),
            vehicle_value=_money(data.get("vehicle_value", 0), f"{where}.vehicle_value"),
            homes=_count(data.get("homes", 0), f"{where}.homes"),
            businesses=_count(data.get("businesses", 0), f"{where}.businesses"),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "deposits": self.deposits,
            "vehicles": self.vehicles,
            "vehicle_value": self.vehicle_value,
            "homes": self.homes,
            "businesses": self.businesses,
        }


@dataclass(frozen=True, slots=True)
class Supporter:
    """A legal supporter (法定赡养、抚养、扶养义务人) of a member, and whether able to support."""

    able: bool
    resident_id: str | None = None
    relation: str | None = None

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Supporter:
        data = _mapping(obj, {"able", "resident_id", "relation"}, where)
        if "able" not in data:
            raise CalcError(f"{where} 缺少字段 / missing field: able")
        rid = data.get("resident_id")
        rel = data.get("relation")
        for name, value in (("resident_id", rid), ("relation", rel)):
            if value is not None and not isinstance(value, str):
                raise CalcError(f"{where}.{name} 应为字符串 / must be a string")
        return cls(able=_flag(data["able"], f"{where}.able"), resident_id=rid, relation=rel)

    def as_json(self) -> dict[str, Any]:
        return {"able": self.able, "resident_id": self.resident_id, "relation": self.relation}


_MEMBER_FIELDS = {
    "resident_id",
    "birth_date",
    "disability_grade",
    "disability_kind",
    "work_capacity",
    "student",
    "income",
    "disregarded",
    "own_assets",
    "supporters",
}


@dataclass(frozen=True, slots=True)
class Member:
    """One household member as the visit found them."""

    resident_id: str
    birth_date: date
    disability_grade: int | None = None
    disability_kind: str | None = None
    work_capacity: bool = True
    student: bool = False
    income: Income = field(default_factory=Income)
    disregarded: tuple[Item, ...] = ()
    own_assets: Assets = field(default_factory=Assets)
    supporters: tuple[Supporter, ...] = ()

    @property
    def disregarded_total(self) -> Decimal:
        return sum((i.amount for i in self.disregarded), ZERO)

    def age(self, on: date) -> int:
        """Whole years of age on ``on``."""
        before = (on.month, on.day) < (self.birth_date.month, self.birth_date.day)
        return on.year - self.birth_date.year - before

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Member:
        data = _mapping(obj, _MEMBER_FIELDS, where)
        raw = data.get("resident_id")
        if not isinstance(raw, str):
            raise CalcError(f"{where}.resident_id 缺少或不是字符串 / missing or not a string")
        check = ids.check(raw)
        if not check.valid or check.normalized is None or check.birth_date is None:
            raise CalcError(
                f"{where}.resident_id 无效 / not a valid resident ID ({check.error}): "
                f"{ids.mask_text(raw)}"
            )
        born = check.birth_date
        if data.get("birth_date") is not None:
            try:
                born = date.fromisoformat(str(data["birth_date"]))
            except ValueError:
                raise CalcError(
                    f"{where}.birth_date 应为日期 YYYY-MM-DD / not a date: {data['birth_date']!r}"
                ) from None
        grade = data.get("disability_grade")
        if grade is not None and (
            isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 4
        ):
            raise CalcError(f"{where}.disability_grade 应为 1–4 / must be 1 to 4, got {grade!r}")
        kind = data.get("disability_kind")
        if kind is not None:
            kind = _DISABILITY.get(kind) if isinstance(kind, str) else None
            if kind is None:
                raise CalcError(
                    f"{where}.disability_kind 不在代码表中 / not a disability kind: "
                    f"{data['disability_kind']!r}; 可用 / use: {', '.join(DISABILITY_TYPES)}"
                )
        supporters = data.get("supporters") or []
        if not isinstance(supporters, list):
            raise CalcError(f"{where}.supporters 应为列表 / must be a list")
        member = cls(
            resident_id=check.normalized,
            birth_date=born,
            disability_grade=grade,
            disability_kind=kind,
            work_capacity=_flag(data.get("work_capacity", True), f"{where}.work_capacity"),
            student=_flag(data.get("student", False), f"{where}.student"),
            income=Income.from_json(data.get("income"), f"{where}.income"),
            disregarded=_items(data.get("disregarded"), f"{where}.disregarded"),
            own_assets=Assets.from_json(data.get("own_assets"), f"{where}.own_assets"),
            supporters=tuple(
                Supporter.from_json(s, f"{where}.supporters[{i}]") for i, s in enumerate(supporters)
            ),
        )
        if member.disregarded_total > member.income.total():
            raise CalcError(
                f"{where}: 不计入收入的项目 {member.disregarded_total} 元超过该成员收入 "
                f"{member.income.total()} 元（这些项目应包含在收入中）/ disregarded items exceed "
                "the member's income (they must be part of it)"
            )
        return member

    def as_json(self) -> dict[str, Any]:
        return {
            "resident_id": self.resident_id,
            "birth_date": self.birth_date.isoformat(),
            "disability_grade": self.disability_grade,
            "disability_kind": self.disability_kind,
            "work_capacity": self.work_capacity,
            "student": self.student,
            "income": self.income.as_json(),
            "disregarded": _items_json(self.disregarded),
            "own_assets": self.own_assets.as_json(),
            "supporters": [s.as_json() for s in self.supporters],
        }


_ASSET_FIELDS = ("deposits", "vehicles", "vehicle_value", "homes", "businesses")


@dataclass(frozen=True, slots=True)
class EconomicRecord:
    """A household's economic record: members, household assets, rigid expenses (12 months)."""

    members: tuple[Member, ...]
    assets: Assets = field(default_factory=Assets)
    rigid_expenses: tuple[Item, ...] = ()

    @property
    def rigid_total(self) -> Decimal:
        return sum((i.amount for i in self.rigid_expenses), ZERO)

    @classmethod
    def from_json(cls, obj: Any) -> EconomicRecord:
        """Check and build a record from its JSON object (``members``, ``assets``,
        ``rigid_expenses``); other keys are left to the caller."""
        if not isinstance(obj, dict):
            raise CalcError(
                "经济状况记录应为 JSON 对象 / the economic record must be a JSON object"
            )
        members = obj.get("members")
        if not isinstance(members, list) or not members:
            raise CalcError("members 应为非空列表 / members must be a non-empty list")
        parsed = tuple(Member.from_json(m, f"members[{i}]") for i, m in enumerate(members))
        seen: set[str] = set()
        for m in parsed:
            if m.resident_id in seen:
                raise CalcError(f"成员重复 / member listed twice: {ids.mask(m.resident_id)}")
            seen.add(m.resident_id)
        record = cls(
            members=parsed,
            assets=Assets.from_json(obj.get("assets"), "assets"),
            rigid_expenses=_items(obj.get("rigid_expenses"), "rigid_expenses"),
        )
        for name in _ASSET_FIELDS:
            own = sum(getattr(m.own_assets, name) for m in parsed)
            if own > getattr(record.assets, name):
                raise CalcError(
                    f"成员本人名下的 {name} 合计 {own} 超过家庭的 {getattr(record.assets, name)}"
                    f" / members' own {name} add up to more than the household's"
                )
        return record

    def as_json(self) -> dict[str, Any]:
        return {
            "members": [m.as_json() for m in self.members],
            "assets": self.assets.as_json(),
            "rigid_expenses": _items_json(self.rigid_expenses),
        }
