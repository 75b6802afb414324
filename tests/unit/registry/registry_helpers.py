"""Registry test helpers: a tiny division table, valid resident IDs, registry files."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from safetynet.db import unit_of_work
from safetynet.ids import check_digit
from safetynet.regions import service as regions_service
from safetynet.registry._reader import HEADINGS

REGIONS = [
    ("62", "甘肃省"),
    ("6201", "兰州市"),
    ("620102", "城关区"),
    ("620102901", "模拟一镇（模拟）"),
    ("620102902", "模拟二镇（模拟）"),
    ("6202", "嘉峪关市"),
    ("620201", "嘉峪关市辖区"),
    ("620201901", "模拟三镇（模拟）"),
]


def rid(birth: str, seq: int, *, region: str = "620102") -> str:
    """A valid resident ID: region, birth date YYYYMMDD, 3-digit sequence (odd = male)."""
    first = f"{region}{birth}{seq:03d}"
    return first + check_digit(first)


def bad_check(value: str) -> str:
    """The same ID with a wrong check digit."""
    last = "0" if value[-1] != "0" else "1"
    return value[:-1] + last


def write_csv(path: Path, rows: Iterable[dict[str, str]], *, encoding: str = "utf-8",
              headings: Sequence[str] | None = None) -> Path:  # fmt: skip
    """Write rows (English keys) with the Chinese headings."""
    fields = list(headings or HEADINGS)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([HEADINGS[f] for f in fields])
        for row in rows:
            writer.writerow([row.get(f, "") for f in fields])
    return path


def insert_regions(engine: Engine) -> None:
    """The test divisions, loaded through the regions service (levels and parents derived)."""
    with unit_of_work(engine) as session:
        regions_service.upsert(session=session, rows=REGIONS, source="test")
