"""Pydantic shapes of feed results that leave the package: an ingest, a month folder's
ingest, the ingest log and the quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["IngestLogEntry", "IngestResult", "MonthIngest", "QuarantineRow"]


class _Ingest(BaseModel):
    """The fields an ingest result and an ingest-log row share (in their JSON order)."""

    id: int
    source: str
    month: str
    file_name: str
    file_sha256: str
    file_bytes: int
    file_format: str
    encoding: str | None
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    blank_lines: int
    repeat: bool


class IngestResult(_Ingest):
    """What one ingest did (also what ``feeds ingest --json`` prints)."""

    model_config = ConfigDict(frozen=True)

    partition_path: str
    partition_sha256: str
    actor: str
    started_at: datetime
    finished_at: datetime
    extra_columns: list[str] = []

    def as_json(self) -> dict[str, Any]:
        return self.model_dump()


class MonthIngest(BaseModel):
    """What ``ingest_month`` did: one result per file ingested, one message per file not."""

    model_config = ConfigDict(frozen=True)

    month: str
    results: list[IngestResult] = []
    problems: list[str] = []

    @property
    def rows_read(self) -> int:
        return sum(r.rows_read for r in self.results)

    @property
    def rows_accepted(self) -> int:
        return sum(r.rows_accepted for r in self.results)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.results)


class IngestLogEntry(_Ingest):
    """One row of the ingest log (``feeds list``)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    repeat_of: int | None
    actor: str
    started_at: datetime
    finished_at: datetime
    partition_path: str
    partition_sha256: str
    parameters_version: str | None


class QuarantineRow(BaseModel):
    """One quarantined value of a (source, month) partition (``feeds rejects``)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    ingest_id: int
    source: str
    month: str
    row_number: int
    record_id: str | None
    field: str
    value: str | None
    reason: str
    reason_zh: str
    reason_en: str
