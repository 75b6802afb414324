"""Feeds: ingest log and quarantine.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_ingest",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger, nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("encoding", sa.String(20), nullable=True),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_accepted", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("blank_lines", sa.Integer, nullable=False),
        sa.Column("repeat", sa.Boolean, nullable=False),
        sa.Column("repeat_of", sa.Integer, sa.ForeignKey("feed_ingest.id"), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("partition_path", sa.String(500), nullable=False),
        sa.Column("partition_sha256", sa.String(64), nullable=False),
        sa.Column("parameters_version", sa.String(32), nullable=True),
    )
    op.create_index("ix_feed_ingest_file_sha256", "feed_ingest", ["file_sha256"])
    op.create_index("ix_feed_ingest_source_month", "feed_ingest", ["source", "month"])
    op.create_table(
        "feed_reject",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ingest_id", sa.Integer, sa.ForeignKey("feed_ingest.id"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("record_id", sa.String(100), nullable=True),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("value", sa.String(500), nullable=True),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("reason_zh", sa.String(300), nullable=False),
        sa.Column("reason_en", sa.String(300), nullable=False),
    )
    op.create_index("ix_feed_reject_ingest_id", "feed_reject", ["ingest_id"])
    op.create_index("ix_feed_reject_source_month", "feed_reject", ["source", "month"])


def downgrade() -> None:
    op.drop_table("feed_reject")
    op.drop_table("feed_ingest")
