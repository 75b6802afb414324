"""Write a month's findings: one row per warned household and month (inserted, or replaced when
the month is re-run), and their evidence once per household and record. Runs inside the
caller's transaction; the cases that act on the findings are the workflow's
(:func:`safetynet.workflow.service.open_or_update_cases`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.engine import Connection

from safetynet.db import bulk_insert
from safetynet.monitoring.explain import fmt
from safetynet.monitoring.models import WarningEvidence, WarningMonth
from safetynet.workflow.schemas import Finding

__all__ = ["COLUMNS", "explanation_of", "write_findings"]

_CHUNK = 10_000  # households per DELETE … IN (…) when a month is re-run
#: explanation keys stored as columns of ``warning_month`` (the rest stay in its JSON)
COLUMNS = ("score", "level", "identity", "factor")


def _row(w: dict[str, Any], version: str) -> dict[str, Any]:
    expl = w["explanation"]
    return {
        "township_code": w["township_code"],
        "score": expl["score"],
        "level": expl["level"],
        "identity": expl["identity"],
        "factor": Decimal(expl["factor"]),
        "explanation": {
            k: v for k, v in expl.items() if k not in COLUMNS and k != "parameter_version"
        },
        "parameter_version": version,
    }


def explanation_of(row: Any) -> dict[str, Any]:
    """A stored finding's explanation as the engine built it (``parameter_version`` last)."""
    return {
        "score": row.score,
        "level": row.level,
        "identity": row.identity,
        "factor": fmt(Decimal(row.factor)),
        **row.explanation,
        "parameter_version": row.parameter_version,
    }


def write_findings(
    conn: Connection,
    month: str,
    warnings: dict[int, dict[str, Any]],
    version: str,
    now: datetime,
    *,
    rerun: bool = False,
) -> list[Finding]:
    """Insert this month's findings, replace the stored ones that differ; add evidence once.

    Returns the findings for the workflow, each marked ``changed`` when this call wrote it.
    ``rerun``: the month was run before with other inputs or parameters. The evidence of this
    month for these households is then replaced by this run's, so that it matches the
    explanation just written (a corrected feed may have dropped a record).
    """
    stored = {
        r.household_id: r
        for r in conn.execute(
            select(
                WarningMonth.id,
                WarningMonth.household_id,
                WarningMonth.township_code,
                WarningMonth.score,
                WarningMonth.level,
                WarningMonth.identity,
                WarningMonth.factor,
                WarningMonth.explanation,
                WarningMonth.parameter_version,
            ).where(WarningMonth.month == month)
        ).all()
    }
    new_rows, updates, changed = [], [], set()
    for hh, w in warnings.items():
        row = _row(w, version)
        old = stored.get(hh)
        if old is None:
            new_rows.append(
                {"household_id": hh, "month": month, **row, "created_at": now, "updated_at": now}
            )
        elif any(getattr(old, k) != v for k, v in row.items()):
            updates.append({"b_id": old.id, **row, "updated_at": now})
        else:
            continue
        changed.add(hh)
    if conn.dialect.name == "sqlite":  # a bigger page cache for the index updates of the bulk write
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    table = cast(Table, WarningMonth.__table__)
    bulk_insert(conn, table, new_rows)
    if updates:
        conn.execute(update(table).where(table.c.id == bindparam("b_id")), updates)
    ids = {hh: r.id for hh, r in stored.items()}
    if new_rows:
        ids.update(
            conn.execute(
                select(WarningMonth.household_id, WarningMonth.id).where(
                    WarningMonth.month == month
                )
            ).all()
        )
    evidence = [
        {
            "warning_month_id": ids[hh],
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
    bulk_insert(conn, cast(Table, WarningEvidence.__table__), evidence, skip_conflicts=True)
    return [
        Finding(
            household_id=hh,
            month=month,
            level=w["level"],
            township_code=w["township_code"],
            finding_id=ids[hh],
            changed=hh in changed,
        )
        for hh, w in warnings.items()
    ]


def _points(e: dict[str, Any]) -> Decimal:
    return Decimal(int(e["weight"]) * int(e["modifier"])) / Decimal(1_000_000)
