"""Pydantic shapes of monitoring results that leave the package (the run log)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RunListing"]


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
