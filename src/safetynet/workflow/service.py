"""Workflow use cases. Service functions take ``session=`` and never commit (the caller does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, true, update
from sqlalchemy.orm import Session

from safetynet.codes import LEVELS
from safetynet.db import bulk_insert
from safetynet.workflow.models import Case, CaseMonth
from safetynet.workflow.schemas import CaseCounts, Finding

__all__ = ["cases_covering", "open_or_update_cases"]

_RANK = {level: i for i, level in enumerate(LEVELS, 1)}
_CHUNK = 10_000  # ids per IN (…) list
_FILTER_BELOW = 30_000  # households: below this, read only their open cases; above, all open ones


def open_or_update_cases(
    *, session: Session, findings: Sequence[Finding], now: datetime
) -> CaseCounts:
    """Open a case for each finding whose household has none open; update the open ones.

    Set-based: one call per monitoring run with all of its findings (one per household), a few
    bulk statements whatever their number. A new case starts in state ``new`` at the finding's
    level and covers that finding. An open case is updated when the finding is new to it, was
    rewritten by the run, or raises its level: the level is the highest of its findings (never
    lowered), its months widen to include the finding's, and its ``version`` is incremented.
    A finding already covered, unchanged and not raising the level writes nothing.
    """
    if len({f.household_id for f in findings}) != len(findings):
        raise ValueError("one finding per household per call")
    conn = session.connection()
    households = [f.household_id for f in findings]
    small = len(households) < _FILTER_BELOW
    open_rows = conn.execute(
        select(Case.id, Case.household_id, Case.level, Case.first_month, Case.last_month)
        .where(Case.state != "closed")
        .where(Case.household_id.in_(households) if small else true())
    ).all()
    wanted = set(households)
    existing = {r.household_id: r for r in open_rows if r.household_id in wanted}
    covered = _covered(
        conn,
        [(existing[f.household_id].id, f.finding_id) for f in findings if not f.changed]
        if existing
        else [],
    )
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    links: list[tuple[int | None, Finding]] = []
    for f in findings:
        old = existing.get(f.household_id)
        if old is None:
            new_rows.append(
                {
                    "household_id": f.household_id,
                    "township_code": f.township_code,
                    "level": f.level,
                    "first_month": f.month,
                    "last_month": f.month,
                    "state": "new",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            links.append((None, f))
            continue
        level = f.level if _RANK[f.level] > _RANK[old.level] else old.level
        is_covered = (old.id, f.finding_id) in covered
        if not f.changed and is_covered and level == old.level:
            continue
        updates.append(
            {
                "b_id": old.id,
                "level": level,
                "first_month": min(f.month, old.first_month),
                "last_month": max(f.month, old.last_month),
                "updated_at": now,
            }
        )
        if not is_covered:
            links.append((old.id, f))
    max_before = conn.execute(select(func.max(Case.id))).scalar() or 0
    table = cast(Table, Case.__table__)
    bulk_insert(conn, table, new_rows)
    if updates:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(version=table.c.version + 1),
            updates,
        )
    opened: dict[int, int] = {}
    if new_rows:
        fresh = {r["household_id"] for r in new_rows}
        opened = {
            hh: cid
            for cid, hh in conn.execute(
                select(Case.id, Case.household_id)
                .where(Case.id > max_before)
                .where(Case.state != "closed")
            ).all()
            if hh in fresh
        }
    bulk_insert(
        conn,
        cast(Table, CaseMonth.__table__),
        [
            {
                "case_id": cid if cid is not None else opened[f.household_id],
                "warning_month_id": f.finding_id,
            }
            for cid, f in links
        ],
        skip_conflicts=True,
    )
    return CaseCounts(opened=len(new_rows), updated=len(updates))


def _covered(conn: Any, pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The (case id, finding id) pairs of ``pairs`` already in ``case_month``."""
    found: set[tuple[int, int]] = set()
    if not pairs:
        return found
    wanted = set(pairs)
    ids = sorted({finding for _, finding in pairs})
    for i in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(CaseMonth.case_id, CaseMonth.warning_month_id).where(
                CaseMonth.warning_month_id.in_(ids[i : i + _CHUNK])
            )
        ).all()
        found.update(p for p in ((r[0], r[1]) for r in rows) if p in wanted)
    return found


def cases_covering(*, session: Session, finding_id: int) -> list[dict[str, Any]]:
    """The cases that cover a finding (``warning_month.id``), newest first:
    ``{"case_id", "state", "level"}``."""
    rows = session.execute(
        select(Case.id, Case.state, Case.level)
        .join(CaseMonth, CaseMonth.case_id == Case.id)
        .where(CaseMonth.warning_month_id == finding_id)
        .order_by(Case.id.desc())
    ).all()
    return [{"case_id": r[0], "state": r[1], "level": r[2]} for r in rows]
