"""Data shapes the regions service returns (and the CLI/API print)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, computed_field

from safetynet.regions.tree import Level

__all__ = ["FileReport", "ImportReport", "RegionInfo", "RejectedRow"]


class RegionInfo(BaseModel):
    """One stored division."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    level: int
    parent_code: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def level_name(self) -> str:
        """The level in Chinese: 省, 市州, 县市区, 乡镇街道, 村社区."""
        return Level(self.level).zh


class RejectedRow(BaseModel):
    """A row that was not loaded, where it was, and why."""

    file: str
    line: int
    code: str
    name: str
    reason: str


class FileReport(BaseModel):
    """What happened to one file of an import."""

    file: str
    encoding: str
    rows: int
    loaded: int
    duplicates: int
    rejected: int


class ImportReport(BaseModel):
    """The outcome of one import (all files are written in one transaction).

    ``loaded`` = ``new`` + ``updated`` + ``unchanged`` (distinct codes accepted); a re-import
    of the same files reports ``new == 0`` and ``updated == 0``.
    """

    files: list[FileReport] = []
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: list[RejectedRow] = []
    loaded_by_level: dict[int, int] = {}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def loaded(self) -> int:
        return self.new + self.updated + self.unchanged

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rejected_count(self) -> int:
        return len(self.rejected)
