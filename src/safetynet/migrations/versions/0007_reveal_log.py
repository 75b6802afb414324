"""The reveal log: who saw unmasked personal data, when and why.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reveal_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("command", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(60), nullable=False),
    )
    op.create_index("ix_reveal_log_revealed_at", "reveal_log", ["revealed_at"])


def downgrade() -> None:
    op.drop_index("ix_reveal_log_revealed_at", table_name="reveal_log")
    op.drop_table("reveal_log")
