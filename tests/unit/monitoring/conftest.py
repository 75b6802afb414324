"""Fixtures for monitoring tests: a tiny registry in the real tables and tiny feed partitions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine

from safetynet.feeds.lake import partition_dir
from safetynet.monitoring.params import load_monitoring_parameters
from safetynet.parameters import ParameterSet
from tests.factories.registry import TOWNSHIPS, add_households, resident_id

HERE = Path(__file__).parent

#: household key -> list of (resident_id, category or None), head first (see
#: tests/factories/registry.py for dated memberships); built through the registry import.
Households = dict[int, list[tuple[Any, ...]]]

#: valid resident IDs 620102197001010012, … (sequence n); OUTSIDER is registered nowhere
A = {n: resident_id(n) for n in range(1, 21)}
OUTSIDER = resident_id(999)

EXAMPLE: Households = {
    1: [(A[1], "dibao_edge"), (A[2], None)],
    2: [(A[3], "dibao"), (A[4], "disabled")],
    3: [(A[5], "tekun")],
}


def add_registry(engine: Engine, households: Households) -> dict[int, int]:
    """Import the households (odd keys in a Lanzhou township, even ones in Tianshui; memberships
    open from 2023-01-01 unless dated); return key → household id."""
    return add_households(engine, households, township=lambda key: TOWNSHIPS[key % 2 == 0])


_TYPES: dict[str, pa.DataType] = {
    "oop": pa.decimal128(14, 2),
    "major_disease": pa.bool_(),
    "grade": pa.int16(),
}


def write_feed(lake: Path, source: str, month: str, rows: list[dict[str, Any]]) -> Path:
    """Write one lake partition ``feeds/<source>/month=<month>/part-0.parquet``."""
    folder = partition_dir(lake, source, month)
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
            {"record_id": "ZY1", "resident_id": A[1], "oop": "12000.00"},
            {"record_id": "ZY2", "resident_id": A[3], "oop": "800.00"},
            {"record_id": "ZY3", "resident_id": OUTSIDER, "oop": "50.00"},
        ],
    )
    write_feed(
        lake,
        "university",
        month,
        [
            {"record_id": "KS1", "resident_id": A[2], "level": "undergraduate"},
        ],
    )


@pytest.fixture
def example_params() -> ParameterSet:
    return load_monitoring_parameters(HERE / "worked_example" / "monitoring.yaml")


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def registry(engine: Engine) -> Callable[[Households], dict[int, int]]:
    return lambda households: add_registry(engine, households)
