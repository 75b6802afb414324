"""Shapes crossing into and out of the workflow.

``Finding`` is a slotted frozen dataclass, not a Pydantic model: monitoring hands the workflow
one per warned household (≈ 49 K a month at full scale) in a single call.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CaseCounts", "Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One household-month finding of monitoring, as the workflow sees it."""

    household_id: int
    month: str
    #: blue / yellow / orange / red
    level: str
    #: the household's township in that month (a new case is queued there)
    township_code: str
    #: ``warning_month.id`` of the finding
    finding_id: int
    #: the finding was written or rewritten by this run (False: the same finding was stored)
    changed: bool


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """What :func:`safetynet.workflow.service.open_or_update_cases` did."""

    opened: int
    updated: int
