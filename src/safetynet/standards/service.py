"""Standards use cases: import a file (quarantine, idempotent), list, load the set in force.

Every function takes ``session=`` (keyword) and never commits: the caller — a CLI command — owns
the transaction, so an import is written whole or not at all.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from safetynet.hashing import file_sha256
from safetynet.policy import CalcError
from safetynet.policy.standards import StandardRow, StandardSet
from safetynet.regions.models import Region
from safetynet.standards.files import ImportRefused, Rejected, builtin_path, parse_file
from safetynet.standards.models import Standard, StandardImport, StandardReject

__all__ = [
    "ImportRefused",
    "ImportSummary",
    "import_builtin",
    "import_file",
    "list_rejects",
    "list_standards",
    "load_set",
]


@dataclass(frozen=True)
class ImportSummary:
    """What one import did: rows read = accepted + rejected; accepted = new + updated + unchanged."""

    import_id: int
    file: str
    rows_read: int
    accepted: int
    rejected: int
    new: int
    updated: int
    unchanged: int
    repeat: bool
    rejects: list[Rejected]


def _now() -> datetime:
    return datetime.now(UTC)


def import_file(
    *, session: Session, path: Path, actor: str | None = None, force: bool = False
) -> ImportSummary:
    """Validate ``path`` and upsert its rows by (county, area, kind, valid_from).

    A bad row is quarantined with its reason; a county not in the division table is a bad row.
    The same file again (same SHA-256) changes nothing and is logged as a repeat (``force``
    checks it again, which by the same rules also changes nothing). Raises
    :class:`ImportRefused` (nothing written) when the file cannot be read at all.
    """
    started = _now()
    who = actor or getpass.getuser()
    parsed = parse_file(path)  # refuses a missing or unreadable file first
    digest = file_sha256(path)
    seen = session.scalar(
        select(StandardImport.id).where(StandardImport.sha256 == digest, ~StandardImport.repeat)
    )
    if seen is not None and not force:
        log = StandardImport(
            file_name=path.name[:255], sha256=digest, rows_read=parsed.rows_read, accepted=0,
            rejected=0, new=0, updated=0, unchanged=0, repeat=True, actor=who[:100],
            started_at=started, finished_at=_now(),
        )  # fmt: skip
        session.add(log)
        session.flush()
        return ImportSummary(log.id, path.name, parsed.rows_read, 0, 0, 0, 0, 0, True, [])

    counties = {row.county for _n, row in parsed.accepted}
    known = set(
        session.scalars(select(Region.code).where(Region.code.in_(sorted(counties)))).all()
    ) if counties else set()  # fmt: skip
    rejected = list(parsed.rejected)
    accepted: list[StandardRow] = []
    for number, row in parsed.accepted:
        if row.county in known:
            accepted.append(row)
        else:
            from safetynet.policy.standards import REASONS

            field, zh, en = REASONS["county_unknown"]
            rejected.append(Rejected(number, field, row.county, "county_unknown", zh, en))
    rejected.sort(key=lambda r: r.row_number)

    log = StandardImport(
        file_name=path.name[:255], sha256=digest, rows_read=parsed.rows_read,
        accepted=len(accepted), rejected=len(rejected), new=0, updated=0, unchanged=0,
        repeat=False, actor=who[:100], started_at=started, finished_at=started,
    )  # fmt: skip
    session.add(log)
    session.flush()
    existing = {
        (s.county_code, s.urban, s.kind, s.valid_from): s
        for s in session.scalars(
            select(Standard).where(Standard.county_code.in_(sorted(known)))
        )
    } if known else {}  # fmt: skip
    new = updated = unchanged = 0
    for row in accepted:
        old = existing.get((row.county, row.urban, row.kind, row.valid_from))
        if old is None:
            session.add(
                Standard(
                    county_code=row.county, urban=row.urban, kind=row.kind, amount=row.amount,
                    valid_from=row.valid_from, reference=row.reference, import_id=log.id,
                )
            )  # fmt: skip
            new += 1
        elif old.amount != row.amount or old.reference != row.reference:
            old.amount, old.reference, old.import_id = row.amount, row.reference, log.id
            updated += 1
        else:
            unchanged += 1
    for r in rejected:
        session.add(
            StandardReject(
                import_id=log.id, row_number=r.row_number, field=r.field, value=r.value,
                reason=r.reason, reason_zh=r.reason_zh, reason_en=r.reason_en,
            )
        )  # fmt: skip
    log.new, log.updated, log.unchanged, log.finished_at = new, updated, unchanged, _now()
    session.flush()
    return ImportSummary(
        log.id, path.name, parsed.rows_read, len(accepted), len(rejected), new, updated,
        unchanged, False, rejected,
    )  # fmt: skip


def import_builtin(*, session: Session, actor: str | None = None) -> ImportSummary:
    """Import the shipped default standards (PROVISIONAL figures; idempotent)."""
    return import_file(session=session, path=builtin_path(), actor=actor or "builtin")


def _rows(session: Session, county: str | None) -> list[StandardRow]:
    query = select(Standard).order_by(
        Standard.county_code, Standard.urban, Standard.kind, Standard.valid_from
    )
    if county:
        query = query.where(Standard.county_code == county)
    return [
        StandardRow(s.county_code, s.urban, s.kind, s.amount, s.valid_from, s.reference)
        for s in session.scalars(query)
    ]


def load_set(*, session: Session) -> StandardSet:
    """Every stored standard as a :class:`StandardSet`; :class:`CalcError` when there is none."""
    if "standard" not in inspect(session.get_bind()).get_table_names():
        raise CalcError(
            "数据库中还没有认定标准表，请先运行 safetynet db upgrade / the standard table does "
            "not exist yet: run safetynet db upgrade"
        )
    rows = _rows(session, None)
    if not rows:
        raise CalcError(
            "数据库中没有认定标准，请先导入（safetynet standards import FILE，或 --builtin 导入"
            "暂定默认值）/ no standards in the database: import them first"
        )
    return StandardSet(rows)


def list_standards(
    *, session: Session, county: str | None = None, on: date | None = None
) -> list[dict[str, Any]]:
    """Stored rows (every date), or with ``on`` the row in force per county, area and kind.

    Asking for a county that has no stored standard is an error (LookupError), not an empty list.
    """
    rows = _rows(session, county)
    if county is not None and not rows:
        raise LookupError(
            f"县区 {county} 没有任何认定标准（代码有误或尚未导入）/ no standard is stored for "
            f"county {county} (a wrong code, or not imported yet: safetynet standards import)"
        )
    if on is not None:
        chosen: dict[tuple[str, bool, str], StandardRow] = {}
        for r in rows:  # ordered by date within each key: the last one on or before ``on`` wins
            if r.valid_from <= on:
                chosen[(r.county, r.urban, r.kind)] = r
        rows = list(chosen.values())
    return [
        {
            "county": r.county,
            "area": "urban" if r.urban else "rural",
            "kind": r.kind,
            "amount": r.amount,
            "valid_from": r.valid_from,
            "reference": r.reference,
        }
        for r in rows
    ]


def list_rejects(*, session: Session, import_id: int) -> list[dict[str, Any]]:
    """The quarantined rows of one import."""
    query = (
        select(StandardReject)
        .where(StandardReject.import_id == import_id)
        .order_by(StandardReject.row_number)
    )
    return [
        {
            "row_number": r.row_number,
            "field": r.field,
            "value": r.value,
            "reason": r.reason,
            "reason_zh": r.reason_zh,
            "reason_en": r.reason_en,
        }
        for r in session.scalars(query)
    ]


def count(*, session: Session) -> int:
    """Number of stored standard rows."""
    return int(session.scalar(select(func.count()).select_from(Standard)) or 0)
