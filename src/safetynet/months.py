"""Reporting months (``YYYY-MM``): the one rule every command uses.

A month is well formed when it reads ``YYYY-MM`` with a month from 01 to 12 (a malformed
month is a usage error). Ingest and monitoring runs accept months from :data:`FIRST` to the
current month + 1 in Asia/Shanghai (a department may send the coming month's file a few days
early); anything else is refused before a folder, a lake partition or a snapshot is made.

>>> check("2024-03", today=date(2024, 6, 1))
'2024-03'
>>> check("2024-07", today=date(2024, 6, 1))
'2024-07'
>>> check("2024-08", today=date(2024, 6, 30))
Traceback (most recent call last):
...
safetynet.months.MonthError: 月份超出范围：应在 2000-01 与 2024-07 之间 / month out of range: must be from 2000-01 to 2024-07, got '2024-08'
>>> parse("2024-13")
Traceback (most recent call last):
...
safetynet.months.MonthError: 月份格式应为 YYYY-MM / month must look like 2024-03, got '2024-13'
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["FIRST", "MonthError", "check", "last_allowed", "parse"]

FIRST = "2000-01"
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


class MonthError(ValueError):
    """A month that cannot be used; ``usage`` is True when it is malformed (not YYYY-MM)."""

    def __init__(self, message: str, *, usage: bool) -> None:
        super().__init__(message)
        self.usage = usage


def parse(text: str | None) -> str:
    """``text`` if it is a well-formed ``YYYY-MM``; otherwise :class:`MonthError` (usage)."""
    if not isinstance(text, str) or not _MONTH.fullmatch(text):
        raise MonthError(
            f"月份格式应为 YYYY-MM / month must look like 2024-03, got {text!r}", usage=True
        )
    return text


def last_allowed(today: date | None = None) -> str:
    """The current month + 1 (Asia/Shanghai), the last month ingest and runs accept.

    >>> last_allowed(date(2024, 12, 5))
    '2025-01'
    """
    from safetynet.ids import today_in_china

    day = today or today_in_china()
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return f"{year:04d}-{month:02d}"


def check(text: str | None, *, today: date | None = None) -> str:
    """A well-formed month within :data:`FIRST` … :func:`last_allowed` (for ingest and runs)."""
    month = parse(text)
    last = last_allowed(today)
    if not FIRST <= month <= last:
        raise MonthError(
            f"月份超出范围：应在 {FIRST} 与 {last} 之间 / month out of range: must be from "
            f"{FIRST} to {last}, got {month!r}",
            usage=False,
        )
    return month
