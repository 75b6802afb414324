"""Fixtures for monitoring tests: a tiny registry in the real tables and tiny feed partitions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from safetynet.monitoring.params import load_monitoring_parameters
from safetynet.parameters import ParameterSet
from safetynet.regions.models import Region
from safetynet.registry.models import Household, Membership, Person

HERE = Path(__file__).parent
TOWNSHIPS = ("620102900", "620502901")

#: household id -> list of (resident_id, category or None); resident ids are short test keys
#: (the engine matches them exactly as the lake and registry store them).
Households = dict[int, list[tuple[str, str | None]]]

EXAMPLE: Households = {
    1: [("A00000000000000001", "dibao_edge"), ("A00000000000000002", None)],
    2: [("A00000000000000003", "dibao"), ("A00000000000000004", "disabled")],
    3: [("A00000000000000005", "tekun")],
}


def add_registry(engine: Engine, households: Households) -> None:
    """Insert regions, households, persons and open memberships (valid from 2023-01-01)."""
    regions = [
        {"code": "62", "name": "甘肃省", "level": 1, "parent_code": None, "source": "test"},
        {"code": "6201", "name": "兰州市", "level": 2, "parent_code": "62", "source": "test"},
        {"code": "6205", "name": "天水市", "level": 2, "parent_code": "62", "source": "test"},
        {"code": "620102", "name": "城关区", "level": 3, "parent_code": "6201", "source": "test"},
        {"code": "620502", "name": "秦州区", "level": 3, "parent_code": "6205", "source": "test"},
        {
            "code": TOWNSHIPS[0],
            "name": "甲镇（模拟）",
            "level": 4,
            "parent_code": "620102",
            "source": "test",
        },
        {
            "code": TOWNSHIPS[1],
            "name": "乙镇（模拟）",
            "level": 4,
            "parent_code": "620502",
            "source": "test",
        },
    ]
    hh_rows, people, members = [], [], []
    pid = 0
    for hh, persons in households.items():
        hh_rows.append(
            {
                "id": hh,
                "head_resident_id": persons[0][0],
                "township_code": TOWNSHIPS[hh % 2 == 0],
                "urban": False,
            }
        )
        for rid, cat in persons:
            pid += 1
            people.append(
                {
                    "id": pid,
                    "resident_id": rid,
                    "name": "测试",
                    "sex": "M",
                    "birth_date": date(1970, 1, 1),
                    "household_id": hh,
                    "relation": "本人",
                }
            )
            if cat:
                members.append(
                    {
                        "person_id": pid,
                        "category": cat,
                        "valid_from": date(2023, 1, 1),
                        "valid_to": None,
                        "source": "home_visit",
                        "orphan": False,
                        "relapsed": False,
                        "medical_group": "none",
                    }
                )
    with engine.begin() as conn:
        conn.execute(insert(Region), regions)
        conn.execute(insert(Household), hh_rows)
        conn.execute(insert(Person), people)
        if members:
            conn.execute(insert(Membership), members)


_TYPES: dict[str, pa.DataType] = {
    "oop": pa.decimal128(14, 2),
    "major_disease": pa.bool_(),
    "grade": pa.int16(),
}


def write_feed(lake: Path, source: str, month: str, rows: list[dict[str, Any]]) -> Path:
    """Write one lake partition ``feeds/<source>/month=<month>/part-0.parquet``."""
    folder = lake / "feeds" / source / f"month={month}"
    folder.mkdir(parents=True, exist_ok=True)
    cols: dict[str, list[Any]] = {}
    for i, row in enumerate(rows, 1):
        full = {"name": "测试", "row_number": i, **row}
        for k, v in full.items():
            cols.setdefault(k, []).append(Decimal(v) if k == "oop" else v)
    table = pa.table({k: pa.array(v, _TYPES.get(k)) for k, v in cols.items()})
    path = folder / "part-0.parquet"
    pq.write_table(table, path)
    return path


def example_feeds(lake: Path, month: str = "2024-01") -> None:
    """The worked example: A hospitalised (out-of-pocket 12,000), B admitted to university;
    plus a small hit for household 2 and a record of someone outside the registry."""
    write_feed(
        lake,
        "hospital",
        month,
        [
            {"record_id": "ZY1", "resident_id": "A00000000000000001", "oop": "12000.00"},
            {"record_id": "ZY2", "resident_id": "A00000000000000003", "oop": "800.00"},
            {"record_id": "ZY3", "resident_id": "X00000000000000009", "oop": "50.00"},
        ],
    )
    write_feed(
        lake,
        "university",
        month,
        [
            {"record_id": "KS1", "resident_id": "A00000000000000002", "level": "undergraduate"},
        ],
    )


@pytest.fixture
def example_params() -> ParameterSet:
    return load_monitoring_parameters(HERE / "worked_example" / "monitoring.yaml")


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def registry(engine: Engine) -> Callable[[Households], None]:
    return lambda households: add_registry(engine, households)
