"""Warnings get an owner: monitoring's findings per household-month, workflow's cases.

The ``warning`` table mixed what monitoring finds (a JSON explanation per month) with what the
department does about it (status, closing). It becomes:

- ``warning_month``: one row per household and month (score, level, identity, factor, the rest
  of the explanation, parameter version); from each month of each warning's explanation. When
  two warnings of a household hold the same month (a re-run after the first was closed), the
  newer warning's copy is kept: a run writes only to the open warning.
- ``case`` (workflow): one per warning, same id; ``open`` becomes state ``new``, ``closed``
  stays ``closed``; first and last month are those of the months it covers.
- ``case_month``: the months (findings) each case covers, from its explanation's keys.
- ``warning_evidence`` links to its ``warning_month`` (same household and month) instead of
  the warning.

The findings' ``created_at``/``updated_at`` are the warning's ``updated_at`` (the old table
kept no time per month). The downgrade rebuilds the warnings from cases and findings (states
other than ``closed`` become ``open``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STEP = 5_000  # household ids per batch
COLUMNS = ("score", "level", "identity", "factor")

_dt = sa.DateTime(timezone=True)
warning = sa.table(
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
finding = sa.table(
    "warning_month",
    sa.column("id", sa.Integer),
    sa.column("household_id", sa.Integer),
    sa.column("month", sa.String),
    sa.column("township_code", sa.String),
    sa.column("score", sa.Integer),
    sa.column("level", sa.String),
    sa.column("identity", sa.String),
    sa.column("factor", sa.Numeric(6, 3)),
    sa.column("explanation", sa.JSON),
    sa.column("parameter_version", sa.String),
    sa.column("created_at", _dt),
    sa.column("updated_at", _dt),
)
case = sa.table(
    "case",
    sa.column("id", sa.Integer),
    sa.column("household_id", sa.Integer),
    sa.column("township_code", sa.String),
    sa.column("level", sa.String),
    sa.column("first_month", sa.String),
    sa.column("last_month", sa.String),
    sa.column("state", sa.String),
    sa.column("version", sa.Integer),
    sa.column("created_at", _dt),
    sa.column("updated_at", _dt),
    sa.column("closed_at", _dt),
)
case_month = sa.table(
    "case_month", sa.column("case_id", sa.Integer), sa.column("warning_month_id", sa.Integer)
)
evidence = sa.table(
    "warning_evidence",
    sa.column("warning_id", sa.Integer),
    sa.column("warning_month_id", sa.Integer),
    sa.column("household_id", sa.Integer),
    sa.column("month", sa.String),
)


def _create_findings_and_cases() -> None:
    op.create_table(
        "warning_month",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("level", sa.String(6), nullable=False),
        sa.Column("identity", sa.String(20), nullable=False),
        sa.Column("factor", sa.Numeric(6, 3), nullable=False),
        sa.Column("explanation", sa.JSON, nullable=False),
        sa.Column("parameter_version", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("household_id", "month", name="uq_warning_month_household_month"),
    )
    op.create_index("ix_warning_month_month", "warning_month", ["month"])
    op.create_index("ix_warning_month_level", "warning_month", ["level"])
    op.create_table(
        "case",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("level", sa.String(6), nullable=False),
        sa.Column("first_month", sa.String(7), nullable=False),
        sa.Column("last_month", sa.String(7), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    for col in ("household_id", "township_code", "level", "last_month", "state"):
        op.create_index(f"ix_case_{col}", "case", [col])
    op.create_index(
        "uq_case_open_household",
        "case",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("state <> 'closed'"),
        postgresql_where=sa.text("state <> 'closed'"),
    )
    op.create_table(
        "case_month",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("case.id"), primary_key=True),
        sa.Column(
            "warning_month_id", sa.Integer, sa.ForeignKey("warning_month.id"), primary_key=True
        ),
    )
    op.create_index("ix_case_month_warning_month_id", "case_month", ["warning_month_id"])


def _create_warning() -> None:
    """The ``warning`` table as migration 0004 created it."""
    op.create_table(
        "warning",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=False),
        sa.Column("township_code", sa.String(12), nullable=False),
        sa.Column("first_month", sa.String(7), nullable=False),
        sa.Column("last_month", sa.String(7), nullable=False),
        sa.Column("level", sa.String(6), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("explanation", sa.JSON, nullable=False),
        sa.Column("parameter_version", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    for col in ("household_id", "township_code", "last_month", "level", "status"):
        op.create_index(f"ix_warning_{col}", "warning", [col])
    op.create_index(
        "uq_warning_open_household",
        "warning",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def _household_ranges(conn: sa.Connection, table: Any) -> list[tuple[int, int]]:
    lo, hi = conn.execute(
        sa.select(sa.func.min(table.c.household_id), sa.func.max(table.c.household_id))
    ).one()
    if lo is None:
        return []
    return [(a, a + STEP) for a in range(lo, hi + 1, STEP)]


def _finding_ids(conn: sa.Connection, lo: int, hi: int) -> dict[tuple[int, str], int]:
    rows = conn.execute(
        sa.select(finding.c.household_id, finding.c.month, finding.c.id).where(
            finding.c.household_id >= lo, finding.c.household_id < hi
        )
    ).all()
    return {(hh, month): fid for hh, month, fid in rows}


def _advance_sequence(conn: sa.Connection, table: str) -> None:
    """After inserts with explicit ids, PostgreSQL's sequence must continue past them."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )
        )


def upgrade() -> None:
    conn = op.get_bind()
    _create_findings_and_cases()
    for lo, hi in _household_ranges(conn, warning):
        rows = conn.execute(
            sa.select(warning)
            .where(warning.c.household_id >= lo, warning.c.household_id < hi)
            .order_by(warning.c.id)
        ).all()
        cases, links = [], []
        found: dict[tuple[int, str], dict[str, Any]] = {}
        for w in rows:
            months = sorted(w.explanation or {})
            cases.append(
                {
                    "id": w.id,
                    "household_id": w.household_id,
                    "township_code": w.township_code,
                    "level": w.level,
                    "first_month": months[0] if months else w.first_month,
                    "last_month": months[-1] if months else w.last_month,
                    "state": "closed" if w.status == "closed" else "new",
                    "version": 1,
                    "created_at": w.created_at,
                    "updated_at": w.updated_at,
                    "closed_at": w.closed_at,
                }
            )
            for month in months:
                e = w.explanation[month]
                missing = [k for k in COLUMNS if k not in e]
                if missing:
                    raise RuntimeError(f"warning {w.id}, {month}: explanation lacks {missing}")
                found[(w.household_id, month)] = {  # rows in id order: the newest warning wins
                    "household_id": w.household_id,
                    "month": month,
                    "township_code": w.township_code,
                    "score": e["score"],
                    "level": e["level"],
                    "identity": e["identity"],
                    "factor": Decimal(str(e["factor"])),
                    "explanation": {
                        k: v for k, v in e.items() if k not in COLUMNS and k != "parameter_version"
                    },
                    "parameter_version": e.get("parameter_version", w.parameter_version),
                    "created_at": w.updated_at,
                    "updated_at": w.updated_at,
                }
                links.append((w.id, w.household_id, month))
        if cases:
            conn.execute(case.insert(), cases)
        if found:
            conn.execute(finding.insert(), list(found.values()))
        ids = _finding_ids(conn, lo, hi)
        if links:
            conn.execute(
                case_month.insert(),
                [{"case_id": cid, "warning_month_id": ids[(hh, m)]} for cid, hh, m in links],
            )
    _advance_sequence(conn, "case")
    with op.batch_alter_table("warning_evidence") as batch:
        batch.add_column(sa.Column("warning_month_id", sa.Integer, nullable=True))
    conn.execute(
        evidence.update().values(
            warning_month_id=sa.select(finding.c.id)
            .where(
                finding.c.household_id == evidence.c.household_id,
                finding.c.month == evidence.c.month,
            )
            .scalar_subquery()
        )
    )
    orphans = conn.execute(
        sa.select(sa.func.count())
        .select_from(evidence)
        .where(evidence.c.warning_month_id.is_(None))
    ).scalar_one()
    if orphans:
        raise RuntimeError(f"{orphans} evidence rows have no explanation of their month")
    with op.batch_alter_table("warning_evidence") as batch:
        batch.alter_column("warning_month_id", existing_type=sa.Integer, nullable=False)
        batch.create_foreign_key(
            "fk_warning_evidence_warning_month_id_warning_month",
            "warning_month",
            ["warning_month_id"],
            ["id"],
        )
        batch.create_index("ix_warning_evidence_warning_month_id", ["warning_month_id"])
        batch.drop_index("ix_warning_evidence_warning_id")
        batch.drop_column("warning_id")
    op.drop_table("warning")


def downgrade() -> None:
    conn = op.get_bind()
    _create_warning()
    for lo, hi in _household_ranges(conn, case):
        cases = conn.execute(
            sa.select(case)
            .where(case.c.household_id >= lo, case.c.household_id < hi)
            .order_by(case.c.id)
        ).all()
        covered: dict[int, list[Any]] = {}
        rows = conn.execute(
            sa.select(case_month.c.case_id, *finding.c)
            .join(finding, finding.c.id == case_month.c.warning_month_id)
            .where(finding.c.household_id >= lo, finding.c.household_id < hi)
            .order_by(finding.c.month)
        ).all()
        for r in rows:
            covered.setdefault(r.case_id, []).append(r)
        warnings = []
        for c in cases:
            months = covered.get(c.id, [])
            last = months[-1] if months else None
            warnings.append(
                {
                    "id": c.id,
                    "household_id": c.household_id,
                    "township_code": c.township_code,
                    "first_month": c.first_month,
                    "last_month": c.last_month,
                    "level": c.level,
                    "score": last.score if last is not None else 0,
                    "status": "closed" if c.state == "closed" else "open",
                    "explanation": {
                        f.month: {
                            "score": f.score,
                            "level": f.level,
                            "identity": f.identity,
                            "factor": format(Decimal(f.factor).normalize(), "f"),
                            **f.explanation,
                            "parameter_version": f.parameter_version,
                        }
                        for f in months
                    },
                    "parameter_version": last.parameter_version if last is not None else "",
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                    "closed_at": c.closed_at,
                }
            )
        if warnings:
            conn.execute(warning.insert(), warnings)
    _advance_sequence(conn, "warning")
    with op.batch_alter_table("warning_evidence") as batch:
        batch.add_column(sa.Column("warning_id", sa.Integer, nullable=True))
    conn.execute(
        evidence.update().values(
            warning_id=sa.select(sa.func.max(case_month.c.case_id))
            .where(case_month.c.warning_month_id == evidence.c.warning_month_id)
            .scalar_subquery()
        )
    )
    orphans = conn.execute(
        sa.select(sa.func.count()).select_from(evidence).where(evidence.c.warning_id.is_(None))
    ).scalar_one()
    if orphans:
        raise RuntimeError(f"{orphans} evidence rows belong to findings no case covers")
    with op.batch_alter_table("warning_evidence") as batch:
        batch.alter_column("warning_id", existing_type=sa.Integer, nullable=False)
        batch.create_foreign_key(
            "fk_warning_evidence_warning_id_warning", "warning", ["warning_id"], ["id"]
        )
        batch.create_index("ix_warning_evidence_warning_id", ["warning_id"])
        batch.drop_index("ix_warning_evidence_warning_month_id")
        batch.drop_column("warning_month_id")
    op.drop_table("case_month")
    op.drop_table("case")
    op.drop_table("warning_month")
