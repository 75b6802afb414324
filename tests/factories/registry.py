"""Registry test data built through the registry's own import (every rule a real file passes).

Households are written as one registry file and imported with
:func:`safetynet.registry.importer.import_file`; divisions go through the regions service,
which derives the real levels (province 2, prefecture 4, county 6, township 9). Moves are a
second file with 迁入日期, exactly as a department would send them.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from safetynet.db import unit_of_work
from safetynet.ids import check_digit
from safetynet.regions import service as regions_service
from safetynet.registry.importer import import_file
from safetynet.registry.schemas import ImportSummary

__all__ = [
    "REGIONS",
    "TOWNSHIPS",
    "Member",
    "add_households",
    "add_regions",
    "import_rows",
    "move",
    "resident_id",
]

TOWNSHIPS = ("620102900", "620502901")
REGIONS = [
    ("62", "甘肃省"),
    ("6201", "兰州市"),
    ("620102", "城关区"),
    (TOWNSHIPS[0], "甲镇（模拟）"),
    ("6205", "天水市"),
    ("620502", "秦州区"),
    (TOWNSHIPS[1], "乙镇（模拟）"),
]
START = date(2023, 1, 1)

#: (resident ID, category or None) or (resident ID, category, valid_from, valid_to)
Member = tuple[Any, ...]


def resident_id(n: int, *, county: str = "620102", birth: str = "19700101") -> str:
    """A valid 18-character resident ID whose sequence is ``n`` (1–999; odd = male).

    >>> resident_id(1)
    '620102197001010012'
    """
    first = f"{county}{birth}{n:03d}"
    return first + check_digit(first)


def add_regions(engine: Engine) -> None:
    """The test divisions through the regions service (levels and parents derived)."""
    with unit_of_work(engine) as session:
        regions_service.upsert(session=session, rows=REGIONS, source="test")


def import_rows(engine: Engine, rows: Sequence[Mapping[str, Any]]) -> ImportSummary:
    """Write ``rows`` (English field names as headings) to a CSV file and import it; every row
    must be accepted."""
    fields = sorted({k for row in rows for k in row})
    with tempfile.TemporaryDirectory(prefix="factory-") as tmp:
        path = Path(tmp) / "registry.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(fields)
            for row in rows:
                writer.writerow(["" if row.get(f) is None else str(row[f]) for f in fields])
        summary = import_file(engine=engine, path=path, actor="test", force=True)
    assert summary.rejected == 0, f"factory rows rejected: {summary}"
    return summary


def _member_row(member: Member, head: str, township: str) -> dict[str, Any]:
    rid, category, *dates = member
    valid_from, valid_to = [*dates, START, None][:2] if dates else (START, None)
    return {
        "resident_id": rid,
        "name": "测试",
        "head_resident_id": head,
        "relation": "本人" if rid == head else "其他",
        "township_code": township,
        "category": category,
        "valid_from": valid_from if category else None,
        "valid_to": valid_to if category else None,
        "source": "入户摸排" if category else None,
    }


def add_households(
    engine: Engine,
    households: Mapping[Any, Sequence[Member]],
    *,
    township: Callable[[Any], str] = lambda key: TOWNSHIPS[0],
) -> dict[Any, int]:
    """Import ``households`` (key → members, the first member is the head; a member listed with
    two categories gets two rows); return key → household id. Regions are added if missing."""
    with engine.connect() as conn:
        if not conn.execute(text("SELECT count(*) FROM region WHERE code = '62'")).scalar():
            add_regions(engine)
    rows = []
    for key, members in households.items():
        head = members[0][0]
        rows += [_member_row(m, head, township(key)) for m in members]
    import_rows(engine, rows)
    heads = {members[0][0]: key for key, members in households.items()}
    with engine.connect() as conn:
        found = conn.execute(text("SELECT head_resident_id, id FROM household")).all()
    return {heads[h]: int(i) for h, i in found if h in heads}


def move(
    engine: Engine, rid: str, *, head: str, township: str, moved_on: date, head_row: bool = False
) -> ImportSummary:
    """Record that ``rid`` moved into the household of ``head`` on ``moved_on`` (a registry
    file row with 迁入日期). ``head_row``: the mover founds that household (``head == rid``)."""
    row = {
        "resident_id": rid,
        "name": "测试",
        "head_resident_id": head,
        "relation": "本人" if head_row else "其他",
        "township_code": township,
        "moved_on": moved_on,
    }
    summary = import_rows(engine, [row])
    assert summary.moves == 1, summary
    return summary
