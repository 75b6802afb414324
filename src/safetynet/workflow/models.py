"""Workflow tables: cases and the household-month findings each case covers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = ["CASE_STATES", "Case", "CaseMonth"]

#: The states of a case, in the order the workflow moves it (new → … → closed).
CASE_STATES = ("new", "dispatched", "assigned", "visited", "disposed", "closed")


class Case(Base):
    """A household's case: opened by a monitoring finding, acted on by the workflow.

    At most one case of a household is open (any state but ``closed``); later findings update
    it. ``version`` is the optimistic lock: every write increments it, and an ORM update of a
    row that changed meanwhile fails (``StaleDataError``) instead of overwriting.
    """

    __tablename__ = "case"
    __table_args__ = (
        Index(
            "uq_case_open_household",
            "household_id",
            unique=True,
            sqlite_where=text("state <> 'closed'"),
            postgresql_where=text("state <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    #: the household's township when the case was opened: the queue it belongs to
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    #: blue / yellow / orange / red: the highest level of the findings it covers while open
    level: Mapped[str] = mapped_column(String(6), index=True)
    #: the first and last month of the findings it covers
    first_month: Mapped[str] = mapped_column(String(7))
    last_month: Mapped[str] = mapped_column(String(7), index=True)
    #: one of :data:`CASE_STATES`
    state: Mapped[str] = mapped_column(String(12), index=True, default="new")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)


class CaseMonth(Base):
    """A household-month finding (``warning_month``) that a case covers."""

    __tablename__ = "case_month"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), primary_key=True)
    warning_month_id: Mapped[int] = mapped_column(
        ForeignKey("warning_month.id"), primary_key=True, index=True
    )
