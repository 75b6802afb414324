"""Monitoring tables: one record per run, findings per household and month, and their evidence."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = ["MonitoringRun", "WarningEvidence", "WarningMonth"]


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


class WarningMonth(Base):
    """What monitoring found for one household in one month: score, level, identity, explanation.

    One row per household and month; a re-run of the month replaces it. Monitoring only finds:
    the case that acts on it (status, assignment, closing) belongs to ``workflow``.
    """

    __tablename__ = "warning_month"
    __table_args__ = (
        UniqueConstraint("household_id", "month", name="uq_warning_month_household_month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    #: the household's township when the month was scored
    township_code: Mapped[str] = mapped_column(String(12))
    score: Mapped[int] = mapped_column(Integer)
    #: blue / yellow / orange / red (a household below blue has no row)
    level: Mapped[str] = mapped_column(String(6), index=True)
    #: the household's identity (highest-priority category) and its factor
    identity: Mapped[str] = mapped_column(String(20))
    factor: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    #: the rest of the explanation: {base, weighted, indicators, bonus, bonus_points, hits, lines}
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameter_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WarningEvidence(Base):
    """One feed record behind a household-month finding; a record counts once per household, ever."""

    __tablename__ = "warning_evidence"
    __table_args__ = (
        UniqueConstraint(
            "household_id", "source", "record_id", name="uq_warning_evidence_household_record"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warning_month_id: Mapped[int] = mapped_column(ForeignKey("warning_month.id"), index=True)
    household_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7), index=True)
    source: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[str] = mapped_column(String(18))
    indicator: Mapped[str] = mapped_column(String(20))
    #: base points (weight × severity modifier), before the identity factor
    points: Mapped[Decimal] = mapped_column(Numeric(12, 3))
