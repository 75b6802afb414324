"""Registry: households, persons, moves, memberships, import log and quarantine.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("head_resident_id", sa.String(18), nullable=False),
        sa.Column("township_code", sa.String(12), sa.ForeignKey("region.code"), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=True),
        sa.Column("urban", sa.Boolean, nullable=False),
        sa.Column("address", sa.String(200), nullable=True),
    )
    op.create_index("ix_household_head_resident_id", "household", ["head_resident_id"], unique=True)
    op.create_index("ix_household_township_code", "household", ["township_code"])

    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resident_id", sa.String(18), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=False),
        sa.Column("relation", sa.String(10), nullable=False),
    )
    op.create_index("ix_person_resident_id", "person", ["resident_id"], unique=True)
    op.create_index("ix_person_household_id", "person", ["household_id"])

    op.create_table(
        "household_move",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("from_household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=True),
        sa.Column("to_household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=False),
        sa.Column("moved_on", sa.Date, nullable=False),
    )
    op.create_index("ix_household_move_person_id", "household_move", ["person_id"])

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("dibao_class", sa.String(20), nullable=True),
        sa.Column("orphan", sa.Boolean, nullable=False),
        sa.Column("disability_type", sa.String(20), nullable=True),
        sa.Column("disability_grade", sa.SmallInteger, nullable=True),
        sa.Column("relapsed", sa.Boolean, nullable=False),
        sa.Column("medical_group", sa.String(20), nullable=False),
    )
    op.create_index("ix_membership_category_valid_from", "membership", ["category", "valid_from"])
    op.create_index(
        "ix_membership_person_id_category",
        "membership",
        ["person_id", "category", "valid_from"],
    )

    op.create_table(
        "registry_import",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("repeat", sa.Boolean, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_registry_import_sha256", "registry_import", ["sha256"])

    op.create_table(
        "registry_reject",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("registry_import.id"), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("value", sa.String(255), nullable=True),
        sa.Column("reason_zh", sa.String(255), nullable=False),
        sa.Column("reason_en", sa.String(255), nullable=False),
    )
    op.create_index("ix_registry_reject_import_id", "registry_reject", ["import_id"])


def downgrade() -> None:
    for table in (
        "registry_reject",
        "registry_import",
        "membership",
        "household_move",
        "person",
        "household",
    ):
        op.drop_table(table)
