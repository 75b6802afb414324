"""Pydantic shapes of monitoring results that leave the package: a run's summary, the run
log, a parameter simulation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LevelChange", "RunListing", "RunSummary", "Simulation"]


class RunSummary(BaseModel):
    """What one monthly run did (``monitor run``)."""

    model_config = ConfigDict(frozen=True)

    run_id: int | None
    month: str
    backend: str
    repeat: bool
    parameter_version: str
    snapshot_hash: str
    by_level: dict[str, int]
    by_prefecture: dict[str, dict[str, int]]
    unmatched: dict[str, int]
    warnings_new: int = 0
    warnings_updated: int = 0
    timings: dict[str, float] = {}
    #: indicators with no feed partition for the month (their hits cannot count yet)
    missing_sources: list[str] = []

    def as_json(self) -> dict[str, Any]:
        """What ``monitor run --json`` prints (the backend under its CLI name, ``engine``)."""
        out = self.model_dump()
        return {"run_id": out.pop("run_id"), "month": out.pop("month"),
                "engine": out.pop("backend"), **out}  # fmt: skip


class RunListing(BaseModel):
    """One monitoring run as ``monitor runs`` lists it (``backend`` is written as ``engine``)."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    id: int
    month: str
    backend: str = Field(serialization_alias="engine")
    parameter_version: str
    snapshot_hash: str
    repeat: bool
    warnings_new: int
    warnings_updated: int
    started_at: datetime
    finished_at: datetime
    by_level: dict[str, int] | None
    unmatched: dict[str, int]
    seconds: float | None


class LevelChange(BaseModel):
    """A household whose level differs between the current and the proposed parameters."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    household_id: int
    level_from: str | None = Field(serialization_alias="from")
    level_to: str | None = Field(serialization_alias="to")
    score_from: int
    score_to: int


class Simulation(BaseModel):
    """``monitor simulate``: level counts under both parameter sets and who would change."""

    model_config = ConfigDict(frozen=True)

    month: str
    current_version: str
    proposed_version: str
    counts: dict[str, dict[str, int]]
    changed: list[LevelChange]
