"""The monitoring write before migration 0007, frozen for that migration's test.

Before 0007 a month's results went into ``warning`` (one row per household warning, a JSON
explanation per month, status open/closed) and ``warning_evidence`` (linked to the warning).
This is that writer as it was (``monitoring/store.py: upsert_warnings``), on table stubs of the
schema before 0007, plus the reads the old code did: so that a test can build the data an upgraded
database holds and export it the old way. Not used by the application.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safetynet.monitoring.explain import level_rank

_dt = sa.DateTime(timezone=True)
WARNING = sa.table(
    "warning",
    sa.column("id", sa.Integer),
    sa.column("household_id", sa.Integer),
    sa.column("township_code", sa.String),
    sa.column("first_month", sa.String),
    sa.column("last_month", sa.String),
    sa.column("level", sa.String),
    sa.column("score", sa.Integer),
    sa.column("status", sa.String),
    sa.column("explanation", sa.JSON),
    sa.column("parameter_version", sa.String),
    sa.column("created_at", _dt),
    sa.column("updated_at", _dt),
    sa.column("closed_at", _dt),
)
EVIDENCE = sa.table(
    "warning_evidence",
    sa.column("id", sa.Integer),
    sa.column("warning_id", sa.Integer),
    sa.column("household_id", sa.Integer),
    sa.column("month", sa.String),
    sa.column("source", sa.String),
    sa.column("record_id", sa.String),
    sa.column("resident_id", sa.String),
    sa.column("indicator", sa.String),
    sa.column("points", sa.Numeric(12, 3)),
)
_CHUNK = 10_000


def upsert_warnings(
    conn: Connection,
    month: str,
    warnings: dict[int, dict[str, Any]],
    version: str,
    now: datetime,
    *,
    rerun: bool = False,
) -> tuple[int, int]:
    """Insert new warnings, update open ones (level never lowered); add evidence once."""
    open_rows = conn.execute(
        sa.select(
            WARNING.c.id,
            WARNING.c.household_id,
            WARNING.c.level,
            WARNING.c.last_month,
            WARNING.c.score,
            WARNING.c.explanation,
        ).where(WARNING.c.status == "open")
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
    if new_rows:
        conn.execute(WARNING.insert(), new_rows)
    if updates:
        conn.execute(WARNING.update().where(WARNING.c.id == sa.bindparam("b_id")), updates)
    ids = dict(
        conn.execute(
            sa.select(WARNING.c.household_id, WARNING.c.id).where(WARNING.c.status == "open")
        ).all()
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
            "points": Decimal(int(e["weight"]) * int(e["modifier"])) / Decimal(1_000_000),
        }
        for hh, w in warnings.items()
        for e in w["evidence"]
    ]
    if rerun:
        households = list(warnings)
        for i in range(0, len(households), _CHUNK):
            conn.execute(
                EVIDENCE.delete().where(
                    EVIDENCE.c.month == month,
                    EVIDENCE.c.household_id.in_(households[i : i + _CHUNK]),
                )
            )
    seen = {
        (r.household_id, r.source, r.record_id)
        for r in conn.execute(
            sa.select(EVIDENCE.c.household_id, EVIDENCE.c.source, EVIDENCE.c.record_id)
        )
    }
    fresh = []
    for e in evidence:  # the old writer skipped conflicts (ON CONFLICT DO NOTHING)
        key = (e["household_id"], e["source"], e["record_id"])
        if key not in seen:
            seen.add(key)
            fresh.append(e)
    if fresh:
        conn.execute(EVIDENCE.insert(), fresh)
    return len(new_rows), len(updates)


def run_month(
    engine: Engine, *, month: str, parameters: Any, lake: Path, rerun: bool, now: datetime
) -> tuple[int, int]:
    """Score ``month`` with today's engine and write it the old way (no run record)."""
    from safetynet.monitoring import service
    from safetynet.monitoring import snapshot as snap
    from safetynet.monitoring.params import scoring_params

    params = scoring_params(parameters, month)
    partitions = service.feed_partitions(lake, month, required=True)
    shot = snap.freeze(engine, month=month, priority=params.priority, lake=lake)
    result = service.score(params=params, shot=shot, partitions=partitions)
    findings = service.build_findings(result, params)
    with engine.begin() as conn:
        return upsert_warnings(conn, month, findings, params.version, now, rerun=rerun)


def export(engine: Engine) -> dict[str, Any]:
    """Findings, evidence and warnings of a database before 0007, in the shape of ``export`` at head.

    A household-month held by two warnings (re-run after the first was closed) is the newer
    warning's: the old writer wrote only to the open warning.
    """
    with engine.connect() as conn:
        warnings = conn.execute(sa.select(WARNING).order_by(WARNING.c.id)).all()
        evidence = conn.execute(sa.select(EVIDENCE)).all()
    findings: dict[tuple[int, str], dict[str, Any]] = {}
    cases = {}
    for w in warnings:
        months = sorted(w.explanation)
        for m in months:
            findings[(w.household_id, m)] = w.explanation[m]
        cases[w.id] = {
            "household_id": w.household_id,
            "township_code": w.township_code,
            "level": w.level,
            "months": months,
            "first_month": months[0],
            "last_month": w.last_month,
            "open": w.status == "open",
        }
    return {
        "findings": findings,
        "evidence": sorted(
            (
                e.warning_id,
                e.household_id,
                e.month,
                e.source,
                e.record_id,
                e.resident_id,
                e.indicator,
                Decimal(e.points),
            )
            for e in evidence
        ),
        "cases": cases,
    }
