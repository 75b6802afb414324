"""Pydantic shapes of registry results (import summaries, people, households, statistics)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

__all__ = [
    "CategoryCount",
    "HouseholdOut",
    "ImportLogEntry",
    "ImportSummary",
    "MembershipOut",
    "PersonOut",
    "PrefectureCount",
    "RejectRow",
    "Reveal",
    "RevealEntry",
    "Stats",
]


class ImportSummary(BaseModel):
    """What one ``registry import`` did; ``rows_read == accepted + rejected`` always."""

    import_id: int
    file_name: str
    sha256: str
    rows_read: int
    accepted: int
    rejected: int
    repeat: bool
    repeat_of: int | None = None
    households_added: int = 0
    households_updated: int = 0
    persons_added: int = 0
    persons_updated: int = 0
    moves: int = 0
    memberships_added: int = 0
    memberships_updated: int = 0
    seconds: float = 0.0


class ImportLogEntry(BaseModel):
    id: int
    file_name: str
    sha256: str
    rows_read: int
    accepted: int
    rejected: int
    repeat: bool
    actor: str
    started_at: datetime
    finished_at: datetime | None


class MembershipOut(BaseModel):
    category: str
    category_zh: str
    valid_from: date
    valid_to: date | None
    source: str
    dibao_class: str | None
    orphan: bool
    disability_type: str | None
    disability_grade: int | None
    relapsed: bool
    medical_group: str


class Reveal(BaseModel):
    """Who asks to see unmasked data, and why (written to the reveal log)."""

    actor: str
    reason: str
    command: str = "registry show"


class RevealEntry(BaseModel):
    """One row of the reveal log."""

    id: int
    revealed_at: datetime
    actor: str
    reason: str
    command: str
    subject: str


class PersonOut(BaseModel):
    id: int
    resident_id: str
    name: str
    sex: str
    #: only in the unmasked view (the birth date is what a masked resident ID hides)
    birth_date: date | None = None
    #: the masked view's ten-year age band, e.g. "70–79 岁"
    age_band: str | None = None
    household_id: int
    relation: str
    memberships: list[MembershipOut] = []
    moves: list[dict[str, object]] = []


class HouseholdOut(BaseModel):
    id: int
    head_resident_id: str
    township_code: str
    village_code: str | None
    urban: bool
    address: str | None
    members: list[PersonOut] = []


class CategoryCount(BaseModel):
    category: str
    category_zh: str
    people: int


class PrefectureCount(BaseModel):
    code: str
    name: str
    people: int


class Stats(BaseModel):
    """The seed-style summary: people by primary category, total, share, by prefecture.

    ``by_category``, ``total``, ``share`` and ``by_prefecture`` cover the seed's ten categories;
    ``other_hardship`` (其他困难人员) is its own line outside that total.
    """

    date: date
    by_category: list[CategoryCount]
    total: int
    population: int
    share: float
    by_prefecture: list[PrefectureCount]
    other_hardship: CategoryCount


class RejectRow(BaseModel):
    """One quarantined value of an import (``registry rejects``)."""

    row_number: int
    field: str
    value: str | None
    reason_zh: str
    reason_en: str
