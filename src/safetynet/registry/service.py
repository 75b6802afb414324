"""Registry queries and single-record rules: who is monitored, primary categories, statistics.

Bulk loading lives in :mod:`safetynet.registry.importer`; everything here takes keyword-only
arguments, works in the caller's ``session`` (never commits) and on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from safetynet import codes
from safetynet.output import age_band, mask_id
from safetynet.parameters import ParameterSet, default_parameters
from safetynet.regions.service import names as region_names
from safetynet.registry import rules
from safetynet.registry.categories import CATEGORIES
from safetynet.registry.models import (
    Household,
    HouseholdMove,
    Membership,
    Person,
    RegistryImport,
    RegistryReject,
    RevealLog,
)
from safetynet.registry.queries import active_between, primary_tallies
from safetynet.registry.schemas import (
    CategoryCount,
    HouseholdOut,
    ImportLogEntry,
    MembershipOut,
    PersonOut,
    PrefectureCount,
    RejectRow,
    Reveal,
    RevealEntry,
    Stats,
)

__all__ = [
    "HouseholdOut",
    "MembershipRejected",
    "PersonOut",
    "Reveal",
    "add_membership",
    "export_rejects",
    "get_household",
    "get_person",
    "import_exists",
    "list_imports",
    "list_rejects",
    "list_reveals",
    "mask_id",
    "monitored_on",
    "monitored_query",
    "population_default",
    "primary_counts",
    "primary_priority",
    "stats",
]


class MembershipRejected(ValueError):
    """A membership breaks a registry rule; the message is bilingual."""


def primary_priority(on: date, params: ParameterSet | None = None) -> tuple[str, ...]:
    """The primary-category priority in force on ``on`` (``registry.primary_priority``)."""
    return rules.primary_priority(params or default_parameters(), on)


def population_default(on: date, params: ParameterSet | None = None) -> int:
    """The province population denominator (``registry.population.province``)."""
    ps = params or default_parameters()
    return int(ps.get("registry.population.province", on))


def monitored_query(category: str, on: date) -> Select[Any]:
    """The one query for "who was monitored in category C on date D" (distinct persons)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    return (
        select(Person)
        .where(
            Person.id.in_(
                select(Membership.person_id).where(
                    Membership.category == category, active_between(on)
                )
            )
        )
        .order_by(Person.id)
    )


def monitored_on(*, session: Session, category: str, on: date) -> list[Person]:
    """Persons monitored in ``category`` on ``on``."""
    return list(session.scalars(monitored_query(category, on)))


def _primary_subquery(on: date, priority: Sequence[str]) -> Any:
    rank = case({c: i for i, c in enumerate(priority)}, value=Membership.category, else_=999)
    return (
        select(Membership.person_id, func.min(rank).label("rank"))
        .where(active_between(on))
        .group_by(Membership.person_id)
        .subquery()
    )


def primary_counts(
    *, conn: Connection, on: date, priority: Sequence[str] = rules.DEFAULT_PRIORITY
) -> dict[str, int]:
    """People counted once each, under their primary category on ``on`` (every category)."""
    sub = _primary_subquery(on, priority)
    rows = conn.execute(select(sub.c.rank, func.count()).group_by(sub.c.rank)).all()
    out = dict.fromkeys(priority, 0)
    for rank, n in rows:
        if rank < len(priority):
            out[priority[rank]] = int(n)
    return out


def stats(
    *, session: Session, on: date, population: int | None = None,
    params: ParameterSet | None = None,
) -> Stats:  # fmt: skip
    """The seed-style summary from the database (see docs/registry.md for the denominator),
    counted column-wise from one bulk read (:func:`~safetynet.registry.queries.primary_tallies`)."""
    priority = primary_priority(on, params)
    pop = population if population is not None else population_default(on, params)
    counts, by_pref = primary_tallies(
        session=session, on=on, priority=tuple(priority), seed=codes.SEED_CATEGORIES
    )
    rows = list(by_pref.items())
    names = region_names(session=session, codes=[r[0] for r in rows])
    seed = [c for c in priority if c in codes.SEED_CATEGORIES]
    total = sum(counts[c] for c in seed)
    other = codes.OTHER_HARDSHIP
    return Stats(
        date=on,
        by_category=[CategoryCount(category=c, category_zh=CATEGORIES[c], people=counts[c])
                     for c in seed],
        other_hardship=CategoryCount(category=other, category_zh=CATEGORIES[other],
                                     people=counts.get(other, 0)),
        total=total,
        population=pop,
        share=total / pop if pop else 0.0,
        by_prefecture=[PrefectureCount(code=code, name=names.get(code, code), people=int(n))
                       for code, n in rows],
    )  # fmt: skip


def _membership_out(m: Membership) -> MembershipOut:
    return MembershipOut(
        category=m.category, category_zh=CATEGORIES.get(m.category, m.category),
        valid_from=m.valid_from, valid_to=m.valid_to, source=m.source,
        dibao_class=m.dibao_class, orphan=m.orphan, disability_type=m.disability_type,
        disability_grade=m.disability_grade, relapsed=m.relapsed, medical_group=m.medical_group,
    )  # fmt: skip


def _person_out(session: Session, p: Person, *, unmasked: bool) -> PersonOut:
    members = session.scalars(
        select(Membership).where(Membership.person_id == p.id).order_by(Membership.valid_from)
    )
    moves = session.scalars(
        select(HouseholdMove).where(HouseholdMove.person_id == p.id).order_by(HouseholdMove.id)
    )
    return PersonOut(
        id=p.id, resident_id=p.resident_id if unmasked else mask_id(p.resident_id),
        name=p.name, sex=p.sex, birth_date=p.birth_date if unmasked else None,
        age_band=None if unmasked else age_band(p.birth_date), household_id=p.household_id,
        relation=p.relation, memberships=[_membership_out(m) for m in members],
        moves=[{"from_household_id": m.from_household_id, "to_household_id": m.to_household_id,
                "moved_on": m.moved_on} for m in moves],
    )  # fmt: skip


def _log_reveal(session: Session, reveal: Reveal | None, subject: str) -> None:
    """Write the reveal log row of an unmasked read (refused without who and why)."""
    if reveal is None or not reveal.actor.strip() or not reveal.reason.strip():
        raise ValueError("an unmasked read needs who and why (Reveal)")
    session.add(
        RevealLog(revealed_at=datetime.now(UTC), actor=reveal.actor[:100],
                  reason=reveal.reason[:500], command=reveal.command[:60], subject=subject)
    )  # fmt: skip
    session.flush()


def get_person(
    *, session: Session, resident_id: str, unmasked: bool = False, reveal: Reveal | None = None
) -> PersonOut | None:
    """A person with memberships and moves, by resident ID (any accepted spelling).

    Masked unless ``unmasked``; an unmasked read needs ``reveal`` (who and why) and writes the
    reveal log in the caller's transaction, the one that reads the data."""
    from safetynet.ids import normalize

    p = session.scalars(select(Person).where(Person.resident_id == normalize(resident_id))).first()
    if p is None:
        return None
    if unmasked:
        _log_reveal(session, reveal, f"person {p.id}")
    return _person_out(session, p, unmasked=unmasked)


def get_household(
    *, session: Session, household_id: int, unmasked: bool = False, reveal: Reveal | None = None
) -> HouseholdOut | None:
    """A household with its members (masked unless ``unmasked``, as :func:`get_person`)."""
    if not 0 < household_id < 2**63:
        return None
    h = session.get(Household, household_id)
    if h is None:
        return None
    if unmasked:
        _log_reveal(session, reveal, f"household {h.id}")
    people = session.scalars(select(Person).where(Person.household_id == h.id).order_by(Person.id))
    return HouseholdOut(
        id=h.id, head_resident_id=h.head_resident_id if unmasked else mask_id(h.head_resident_id),
        township_code=h.township_code, village_code=h.village_code, urban=h.urban,
        address=h.address, members=[_person_out(session, p, unmasked=unmasked) for p in people],
    )  # fmt: skip


def list_reveals(*, session: Session, limit: int = 50) -> list[RevealEntry]:
    """The reveal log, newest first."""
    rows = session.scalars(select(RevealLog).order_by(RevealLog.id.desc()).limit(limit))
    return [RevealEntry.model_validate(r, from_attributes=True) for r in rows]


def list_imports(*, session: Session, limit: int = 50) -> list[ImportLogEntry]:
    """The import log, newest first."""
    rows = session.scalars(select(RegistryImport).order_by(RegistryImport.id.desc()).limit(limit))
    return [ImportLogEntry.model_validate(r, from_attributes=True) for r in rows]


def import_exists(*, session: Session, import_id: int) -> bool:
    """Whether ``import_id`` names an import in the log (any integer, however large)."""
    if not 0 < import_id < 2**63:
        return False
    return session.get(RegistryImport, import_id) is not None


def list_rejects(*, session: Session, import_id: int) -> list[RejectRow]:
    """The quarantined rows of one import, by row number."""
    rows = session.execute(
        select(RegistryReject.row_number, RegistryReject.field, RegistryReject.value,
               RegistryReject.reason_zh, RegistryReject.reason_en)
        .where(RegistryReject.import_id == import_id)
        .order_by(RegistryReject.row_number)
    ).mappings().all()  # fmt: skip
    return [RejectRow.model_validate(dict(r)) for r in rows]


def export_rejects(*, session: Session, import_id: int, out: Path) -> int:
    """Write an import's rejects to XLSX (行号, 字段, 值, 原因, reason); return the count.

    The workbook keeps the full values (unmasked) for correction; every text is a text cell,
    neutralised against formulas (:func:`safetynet.output.xlsx_append`).
    """
    from openpyxl import Workbook

    from safetynet.output import xlsx_append
    from safetynet.registry._reader import HEADINGS

    rows = list_rejects(session=session, import_id=import_id)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"导入{import_id}被拒行"
    xlsx_append(ws, ["行号 / row", "列 / column", "值 / value", "原因", "reason"])
    for r in rows:
        xlsx_append(ws, [r.row_number, HEADINGS.get(r.field, r.field), r.value,
                         r.reason_zh, r.reason_en])  # fmt: skip
    for col in "C":
        for cell in ws[col]:
            cell.number_format = "@"
    wb.save(out)
    return len(rows)


def add_membership(*, session: Session, person_id: int, category: str, valid_from: date,
                   valid_to: date | None = None, source: str = "home_visit",
                   medical_group: str | None = None, relapsed: bool = False,
                   **attrs: Any) -> Membership:  # fmt: skip
    """Add one membership by hand, with the same tekun/dibao exclusion as the import."""
    if category not in CATEGORIES:
        raise MembershipRejected(f"类别不在代码表中 / unknown category {category!r}")
    if valid_to is not None and valid_to < valid_from:
        raise MembershipRejected("退出日期早于认定日期 / end date is before the start date")
    existing = session.scalars(select(Membership).where(Membership.person_id == person_id)).all()
    spans = [rules.Span(m.category, m.valid_from, m.valid_to) for m in existing]
    spans.append(rules.Span(category, valid_from, valid_to))
    clash = [i for i, j in rules.exclusive_conflicts(spans) if j == len(spans) - 1]
    if clash:
        other = spans[clash[0]]
        raise MembershipRejected(
            f"特困人员与低保对象时间重叠（已登记 {other.category} {other.valid_from} 起）/ "
            f"tekun and dibao intervals overlap (registered {other.category} from {other.valid_from})"
        )
    m = Membership(
        person_id=person_id, category=category, valid_from=valid_from, valid_to=valid_to,
        source=source, relapsed=relapsed,
        medical_group=medical_group or rules.default_medical_group(category, relapsed=relapsed),
        orphan=attrs.pop("orphan", False), **attrs,
    )  # fmt: skip
    session.add(m)
    session.flush()
    return m
