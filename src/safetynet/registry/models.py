"""Registry tables: households, persons, moves, monitoring memberships, import log, quarantine."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = [
    "Household",
    "HouseholdMove",
    "Membership",
    "Person",
    "RegistryImport",
    "RegistryReject",
    "RevealLog",
]


class Household(Base):
    """A household, identified by its head's resident ID."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head_resident_id: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("region.code"), index=True)
    village_code: Mapped[str | None] = mapped_column(String(12))
    urban: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str | None] = mapped_column(String(200))


class Person(Base):
    """A person (normalised 18-character resident ID), in exactly one household at a time."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: Relation to the head, as the Chinese word (本人, 配偶, 子女 …).
    relation: Mapped[str] = mapped_column(String(10))


class HouseholdMove(Base):
    """A dated move of a person into a household (``from_household_id`` None for a first entry)."""

    __tablename__ = "household_move"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    from_household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    to_household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    moved_on: Mapped[date] = mapped_column(Date)


class Membership(Base):
    """A person in one monitored category over a dated interval (``valid_to`` None = open)."""

    __tablename__ = "membership"
    __table_args__ = (
        Index("ix_membership_category_valid_from", "category", "valid_from"),
        Index("ix_membership_person_id_category", "person_id", "category", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    category: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    dibao_class: Mapped[str | None] = mapped_column(String(20))
    orphan: Mapped[bool] = mapped_column(Boolean, default=False)
    disability_type: Mapped[str | None] = mapped_column(String(20))
    disability_grade: Mapped[int | None] = mapped_column(SmallInteger)
    relapsed: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_group: Mapped[str] = mapped_column(String(20))


class RegistryImport(Base):
    """One run of ``registry import``: the file, its hash and the row counts."""

    __tablename__ = "registry_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: True when the same file (same SHA-256) had already been imported: nothing changed.
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegistryReject(Base):
    """A quarantined row of an import: where it was, which field, what it said, and why."""

    __tablename__ = "registry_reject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("registry_import.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(255))
    reason_zh: Mapped[str] = mapped_column(String(255))
    reason_en: Mapped[str] = mapped_column(String(255))


class RevealLog(Base):
    """One reveal of unmasked personal data (``registry show --unmasked``): who, why, what.

    Append-only: rows are written in the transaction that reads the revealed data and never
    updated or deleted. The web application's audit log will absorb it.
    """

    __tablename__ = "reveal_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revealed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    #: the command or view, e.g. "registry show"
    command: Mapped[str] = mapped_column(String(60))
    #: what was revealed, e.g. "household 3540" or "person 17"
    subject: Mapped[str] = mapped_column(String(60))
