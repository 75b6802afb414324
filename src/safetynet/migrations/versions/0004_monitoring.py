"""Monitoring: runs, warnings and their evidence.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("engine", sa.String(10), nullable=False),
        sa.Column("parameter_version", sa.String(16), nullable=False),
        sa.Column("snapshot_hash", sa.String(64), nullable=False),
        sa.Column("snapshot_path", sa.String(500), nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("unmatched", sa.JSON, nullable=False),
        sa.Column("timings", sa.JSON, nullable=False),
        sa.Column("warnings_new", sa.Integer, nullable=False),
        sa.Column("warnings_updated", sa.Integer, nullable=False),
        sa.Column("repeat", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_monitoring_run_month", "monitoring_run", ["month"])
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
    op.create_index("ix_warning_household_id", "warning", ["household_id"])
    op.create_index("ix_warning_township_code", "warning", ["township_code"])
    op.create_index("ix_warning_last_month", "warning", ["last_month"])
    op.create_index("ix_warning_level", "warning", ["level"])
    op.create_index("ix_warning_status", "warning", ["status"])
    op.create_index(
        "uq_warning_open_household",
        "warning",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "warning_evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("warning.id"), nullable=False),
        sa.Column("household_id", sa.Integer, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("resident_id", sa.String(18), nullable=False),
        sa.Column("indicator", sa.String(20), nullable=False),
        sa.Column("points", sa.Numeric(12, 3), nullable=False),
        sa.UniqueConstraint(
            "household_id", "source", "record_id", name="uq_warning_evidence_household_record"
        ),
    )
    op.create_index("ix_warning_evidence_warning_id", "warning_evidence", ["warning_id"])
    op.create_index("ix_warning_evidence_month", "warning_evidence", ["month"])


def downgrade() -> None:
    op.drop_table("warning_evidence")
    op.drop_table("warning")
    op.drop_table("monitoring_run")
