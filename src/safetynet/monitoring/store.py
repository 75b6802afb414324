"""Write a month's warnings: insert new ones, update open ones (level never lowered), and add
their evidence once per household and record. Runs inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, true, update
from sqlalchemy.engine import Connection

from safetynet.monitoring.explain import level_rank
from safetynet.monitoring.models import Warning, WarningEvidence

__all__ = ["upsert_warnings"]

_CHUNK = 10_000  # households per DELETE … IN (…) when a month is re-run


def upsert_warnings(
    conn: Connection,
    month: str,
    warnings: dict[int, dict[str, Any]],
    version: str,
    now: datetime,
    *,
    rerun: bool = False,
) -> tuple[int, int]:
    """Insert new warnings, update open ones (level never lowered); add evidence once.

    ``rerun``: the month was run before with other inputs or parameters. The evidence of this
    month for these households is then replaced by this run's, so that it matches the
    explanation just written (a corrected feed may have dropped a record).
    """
    open_rows = conn.execute(
        select(
            Warning.id,
            Warning.household_id,
            Warning.level,
            Warning.last_month,
            Warning.score,
            Warning.explanation,
        )
        .where(Warning.status == "open")
        .where(Warning.household_id.in_(list(warnings)) if len(warnings) < 30000 else true())
    ).all()
    existing = {r.household_id: r for r in open_rows if r.household_id in warnings}
    new_rows, updates = [], []
    for hh, w in warnings.items():
        old = existing.get(hh)
        if old is None:
            new_rows.append(
                {
                    "household_id": hh,
                    "township_code": w["township_code"],
                    "first_month": month,
                    "last_month": month,
                    "level": w["level"],
                    "score": w["score"],
                    "status": "open",
                    "explanation": {month: w["explanation"]},
                    "parameter_version": version,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        expl = dict(old.explanation)
        level = max(old.level, w["level"], key=level_rank)
        if expl.get(month) == w["explanation"] and level == old.level:
            continue
        expl[month] = w["explanation"]
        latest = month >= old.last_month
        updates.append(
            {
                "b_id": old.id,
                "level": level,
                "last_month": max(month, old.last_month),
                "score": w["score"] if latest else old.score,
                "explanation": expl,
                "parameter_version": version,
                "updated_at": now,
            }
        )
    if conn.dialect.name == "sqlite":  # a bigger page cache for the index updates of the bulk write
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    if new_rows:
        _bulk_insert(conn, Warning.__table__, new_rows)  # type: ignore[arg-type]
    if updates:
        stmt = update(Warning.__table__).where(Warning.__table__.c.id == bindparam("b_id"))  # type: ignore[arg-type]
        conn.execute(stmt, updates)
    ids = dict(
        conn.execute(select(Warning.household_id, Warning.id).where(Warning.status == "open")).all()
    )
    evidence = [
        {
            "warning_id": ids[hh],
            "household_id": hh,
            "month": month,
            "source": e["indicator"],
            "record_id": e["record_id"],
            "resident_id": e["resident_id"],
            "indicator": e["indicator"],
            "points": _points(e),
        }
        for hh, w in warnings.items()
        for e in w["evidence"]
    ]
    if rerun:
        households = list(warnings)
        for i in range(0, len(households), _CHUNK):
            conn.execute(
                delete(WarningEvidence).where(
                    WarningEvidence.month == month,
                    WarningEvidence.household_id.in_(households[i : i + _CHUNK]),
                )
            )
    if evidence:
        _bulk_insert(conn, WarningEvidence.__table__, evidence, skip_conflicts=True)  # type: ignore[arg-type]
    return len(new_rows), len(updates)


def _bulk_insert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], *, skip_conflicts: bool = False
) -> None:
    """Insert ``rows`` (dicts with the same keys) in one executemany.

    On SQLite the rows go to the driver as tuples, converted by the columns' own bind
    processors (JSON, dates, numerics stored exactly as SQLAlchemy stores them), skipping
    SQLAlchemy's per-row parameter handling; other databases use SQLAlchemy's bulk insert.
    """
    if conn.dialect.name != "sqlite":
        if skip_conflicts:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
        else:
            conn.execute(insert(table), rows)
        return
    cols = list(rows[0])
    procs = [table.c[c].type._cached_bind_processor(conn.dialect) for c in cols]
    text = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})" + (
        " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    )
    conn.exec_driver_sql(
        text,
        [
            tuple(v if p is None else p(v) for v, p in zip(row.values(), procs, strict=True))
            for row in rows
        ],
    )


def _points(e: dict[str, Any]) -> Decimal:
    return Decimal(int(e["weight"]) * int(e["modifier"])) / Decimal(1_000_000)
