"""Monitoring tables: one record per run, warnings per household, and the evidence behind them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = ["MonitoringRun", "Warning", "WarningEvidence"]


class MonitoringRun(Base):
    """One monthly run: its inputs (with hashes), parameter version, counts and timings."""

    __tablename__ = "monitoring_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    engine: Mapped[str] = mapped_column(String(10))
    parameter_version: Mapped[str] = mapped_column(String(16))
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    snapshot_path: Mapped[str] = mapped_column(String(500))
    #: {"feeds": {source: [{"path", "sha256", "rows"}]}, "used_evidence": {...}}
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: {"by_level": {...}, "by_prefecture": {code: {level: n}}, "scored_households": n, ...}
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: feed records of people outside the scored households, by indicator
    unmatched: Mapped[dict[str, Any]] = mapped_column(JSON)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON)
    warnings_new: Mapped[int] = mapped_column(Integer, default=0)
    warnings_updated: Mapped[int] = mapped_column(Integer, default=0)
    #: True when an earlier run of the month had exactly the same inputs: nothing was written.
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Warning(Base):
    """A household's warning: opened in ``first_month``, updated by later months while open."""

    __tablename__ = "warning"
    __table_args__ = (
        Index(
            "uq_warning_open_household",
            "household_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    first_month: Mapped[str] = mapped_column(String(7))
    last_month: Mapped[str] = mapped_column(String(7), index=True)
    #: blue / yellow / orange / red: the highest level of its months while open
    level: Mapped[str] = mapped_column(String(6), index=True)
    #: the score of ``last_month``
    score: Mapped[int] = mapped_column(Integer)
    #: open / closed (the workflow closes warnings)
    status: Mapped[str] = mapped_column(String(10), index=True, default="open")
    #: {"YYYY-MM": {score, level, identity, factor, hits: [...], lines: [...], ...}}
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameter_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WarningEvidence(Base):
    """One feed record behind a warning; a record counts once per household, ever."""

    __tablename__ = "warning_evidence"
    __table_args__ = (
        UniqueConstraint(
            "household_id", "source", "record_id", name="uq_warning_evidence_household_record"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warning.id"), index=True)
    household_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7), index=True)
    source: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[str] = mapped_column(String(18))
    indicator: Mapped[str] = mapped_column(String(20))
    #: base points (weight × severity modifier), before the identity factor
    points: Mapped[Decimal] = mapped_column(Numeric(12, 3))
