"""Standards tables: dated figures per county and area, the import log and the quarantine."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = ["Standard", "StandardImport", "StandardReject"]


class Standard(Base):
    """One figure (kind) of one county and area (urban or rural) from ``valid_from`` on."""

    __tablename__ = "standard"
    __table_args__ = (UniqueConstraint("county_code", "urban", "kind", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(12), ForeignKey("region.code"), index=True)
    urban: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(300))
    import_id: Mapped[int] = mapped_column(ForeignKey("standard_import.id"))


class StandardImport(Base):
    """One run of ``standards import``: the file, its hash and what it changed."""

    __tablename__ = "standard_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    #: True when the same file (same SHA-256) had already been imported: nothing changed.
    repeat: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StandardReject(Base):
    """A quarantined row of a standards import."""

    __tablename__ = "standard_reject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("standard_import.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(String(30))
    reason_zh: Mapped[str] = mapped_column(String(255))
    reason_en: Mapped[str] = mapped_column(String(255))
