"""Division table.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("parent_code", sa.String(12), sa.ForeignKey("region.code"), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_index("ix_region_level", "region", ["level"])
    op.create_index("ix_region_parent_code", "region", ["parent_code"])


def downgrade() -> None:
    op.drop_table("region")
