"""The frozen population of a month: who is in it, identities, and both read paths agree."""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq
from sqlalchemy import insert, update

from safetynet.monitoring import snapshot as snap
from safetynet.monitoring.params import DEFAULT_PRIORITY
from safetynet.registry.models import Membership
from tests.unit.monitoring.conftest import EXAMPLE

HOUSEHOLDS = {
    **EXAMPLE,
    4: [("A00000000000000006", "ill")],  # membership ends before the month: not scored
    5: [("A00000000000000007", None), ("A00000000000000008", None)],  # nobody monitored
    6: [("A00000000000000009", "unemployed"), ("A00000000000000010", "edge_prone")],
}


def test_population_of_the_month(engine, registry, tmp_path):
    registry(HOUSEHOLDS)
    with engine.begin() as conn:
        conn.execute(
            update(Membership).where(Membership.person_id == 6).values(valid_to=date(2023, 12, 31))
        )
        # a second, later membership for person 3 (tekun from February) does not count in January
        conn.execute(
            insert(Membership),
            [{"person_id": 3, "category": "tekun", "valid_from": date(2024, 2, 1),
              "source": "home_visit", "orphan": False, "relapsed": False,
              "medical_group": "none"}],
        )  # fmt: skip
    shot = snap.freeze(engine, month="2024-01", priority=DEFAULT_PRIORITY, lake=tmp_path)
    rows = pq.read_table(shot.path).to_pylist()
    got = [(r["household_id"], r["resident_id"][-2:], r["category"], r["identity"]) for r in rows]
    assert got == [
        (1, "01", "dibao_edge", "dibao_edge"),
        (1, "02", None, "dibao_edge"),
        (2, "03", "dibao", "dibao"),
        (2, "04", "disabled", "dibao"),
        (3, "05", "tekun", "tekun"),
        (6, "09", "unemployed", "edge_prone"),
        (6, "10", "edge_prone", "edge_prone"),
    ]
    assert (shot.people, shot.households, shot.used_rows) == (7, 4, 0)
    assert rows[0]["township_code"] == "620102900"
    # same content, same file name: the hash makes the snapshot reproducible
    again = snap.freeze(engine, month="2024-01", priority=DEFAULT_PRIORITY, lake=tmp_path)
    assert (again.path, again.sha256) == (shot.path, shot.sha256)


def test_read_paths_agree(engine, registry):
    registry(HOUSEHOLDS)
    sqlite = engine.dialect.name == "sqlite"
    queries = snap._queries(date(2024, 1, 1), date(2024, 1, 31), sqlite=sqlite)
    fast = snap._fetch_many(engine, queries)
    plain = snap._fetch_dbapi(engine, queries)
    for a, b in zip(fast, plain, strict=True):
        assert a.schema == b.schema
        keys = [(c, "ascending") for c in a.schema.names]
        assert a.sort_by(keys).equals(b.sort_by(keys))
    assert [t.num_rows for t in fast] == [7, 10, 6]
    # the array-indexed join equals the SQL one (used for sparse keys)
    population = snap._population(*fast, DEFAULT_PRIORITY)
    assert population.num_rows == 8  # household 5 has nobody monitored
    assert population.cast(snap.SNAPSHOT_SCHEMA).equals(
        snap._population_sql(*fast, DEFAULT_PRIORITY)
    )
