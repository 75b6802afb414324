"""Regional standards: dated figures per county and area, import log, quarantine.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standard_import",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("repeat", sa.Boolean, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_standard_import_sha256", "standard_import", ["sha256"])
    op.create_table(
        "standard",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("county_code", sa.String(12), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("urban", sa.Boolean, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("reference", sa.String(300), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("standard_import.id"), nullable=False),
        sa.UniqueConstraint(
            "county_code", "urban", "kind", "valid_from", name="uq_standard_county_code"
        ),
    )
    op.create_index("ix_standard_county_code", "standard", ["county_code"])
    op.create_table(
        "standard_reject",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("standard_import.id"), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.String(255), nullable=True),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("reason_zh", sa.String(255), nullable=False),
        sa.Column("reason_en", sa.String(255), nullable=False),
    )
    op.create_index("ix_standard_reject_import_id", "standard_reject", ["import_id"])


def downgrade() -> None:
    op.drop_table("standard_reject")
    op.drop_table("standard")
    op.drop_table("standard_import")
