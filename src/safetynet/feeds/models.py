"""Feed tables: the ingest log (one row per file ingested) and the quarantine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = ["FeedIngest", "FeedReject"]


class FeedIngest(Base):
    """One ingestion of one department file into one (source, month) partition."""

    __tablename__ = "feed_ingest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    file_format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(20))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    blank_lines: Mapped[int] = mapped_column(Integer, default=0)
    #: True when the file equals the one the partition already came from (nothing changed).
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_of: Mapped[int | None] = mapped_column(ForeignKey("feed_ingest.id"))
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    partition_path: Mapped[str] = mapped_column(String(500))
    partition_sha256: Mapped[str] = mapped_column(String(64))
    #: Version of the parameter set used for derived columns (major-disease flag), if any.
    parameters_version: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_feed_ingest_source_month", "source", "month"),)


class FeedReject(Base):
    """One quarantined value: the row, field, value and the reason in Chinese and English."""

    __tablename__ = "feed_reject"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("feed_ingest.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))
    row_number: Mapped[int] = mapped_column(Integer)
    record_id: Mapped[str | None] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(60))
    value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(30))
    reason_zh: Mapped[str] = mapped_column(String(300))
    reason_en: Mapped[str] = mapped_column(String(300))

    __table_args__ = (Index("ix_feed_reject_source_month", "source", "month"),)
