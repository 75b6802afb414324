"""The frozen population of a month: who is in it, identities, dated moves, the read paths."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from safetynet.monitoring import snapshot as snap
from safetynet.monitoring.params import DEFAULT_PRIORITY
from safetynet.registry import bulkread, rules
from safetynet.registry.queries import households_on_sql, snapshot_reads
from tests.factories.registry import TOWNSHIPS, move
from tests.unit.monitoring.conftest import EXAMPLE, A

HOUSEHOLDS = {
    # person 4 also becomes tekun from February: that does not count in January
    **EXAMPLE,
    2: [(A[3], "dibao"), (A[4], "disabled"), (A[4], "tekun", date(2024, 2, 1), None)],
    # the membership ended before the month: not scored
    4: [(A[6], "ill", date(2023, 1, 1), date(2023, 12, 31))],
    5: [(A[7], None), (A[8], None)],  # nobody monitored
    6: [(A[9], "unemployed"), (A[10], "edge_prone")],
}


def _rows(shot):
    return [
        (r["household_id"], r["resident_id"], r["category"], r["identity"])
        for r in pq.read_table(shot.path).to_pylist()
    ]


def test_population_of_the_month(engine, registry, tmp_path):
    ids = registry(HOUSEHOLDS)
    shot = snap.freeze(engine, month="2024-01", priority=DEFAULT_PRIORITY, lake=tmp_path)
    assert _rows(shot) == [
        (ids[1], A[1], "dibao_edge", "dibao_edge"),
        (ids[1], A[2], None, "dibao_edge"),
        (ids[2], A[3], "dibao", "dibao"),
        (ids[2], A[4], "disabled", "dibao"),
        (ids[3], A[5], "tekun", "tekun"),
        (ids[6], A[9], "unemployed", "edge_prone"),
        (ids[6], A[10], "edge_prone", "edge_prone"),
    ]
    assert (shot.people, shot.households, shot.used_rows) == (7, 4, 0)
    assert pq.read_table(shot.path)["township_code"][0].as_py() == TOWNSHIPS[0]
    # same content, same file name: the hash makes the snapshot reproducible
    again = snap.freeze(engine, month="2024-01", priority=DEFAULT_PRIORITY, lake=tmp_path)
    assert (again.path, again.sha256) == (shot.path, shot.sha256)
    feb = snap.freeze(engine, month="2024-02", priority=DEFAULT_PRIORITY, lake=tmp_path)
    assert (ids[2], A[4], "tekun", "tekun") in _rows(feb)


def test_a_move_counts_from_its_date_and_never_changes_an_earlier_month(engine, registry, tmp_path):
    """A[2] (not monitored) leaves household 1 for household 2 on 2024-06-15, and A[10]
    (edge_prone) leaves household 6 to found a household of their own on 2024-03-01. January, frozen before the
    moves were recorded, freezes byte-equal afterwards; June scores everyone where they were
    on 30 June."""
    ids = registry(HOUSEHOLDS)
    jan = snap.freeze(engine, month="2024-01", priority=DEFAULT_PRIORITY, lake=tmp_path)
    move(engine, A[2], head=A[3], township=TOWNSHIPS[1], moved_on=date(2024, 6, 15))
    move(engine, A[10], head=A[10], township=TOWNSHIPS[1], moved_on=date(2024, 3, 1),
         head_row=True)  # fmt: skip
    with engine.connect() as conn:
        new = conn.execute(
            text("SELECT id FROM household WHERE head_resident_id = :h"), {"h": A[10]}
        ).scalar_one()
    again = snap.freeze(engine, month="2024-01", priority=DEFAULT_PRIORITY, lake=tmp_path)
    assert (again.path, again.sha256) == (jan.path, jan.sha256)
    may = snap.freeze(engine, month="2024-05", priority=DEFAULT_PRIORITY, lake=tmp_path)
    june = snap.freeze(engine, month="2024-06", priority=DEFAULT_PRIORITY, lake=tmp_path)
    assert (ids[1], A[2], None, "dibao_edge") in _rows(may)
    assert [r for r in _rows(june) if r[1] in (A[2], A[9], A[10])] == [
        (ids[2], A[2], None, "tekun"),  # household 2: A[4] is tekun from February
        (ids[6], A[9], "unemployed", "unemployed"),
        (new, A[10], "edge_prone", "edge_prone"),
    ]
    assert (june.people, june.households) == (jan.people, jan.households + 1)


def test_read_paths_agree(engine, registry):
    """The fast path (ADBC on SQLite files, COPY on PostgreSQL) returns what SQLAlchemy reads
    row by row through the engine's own driver."""
    ids = registry(HOUSEHOLDS)
    move(engine, A[2], head=A[3], township=TOWNSHIPS[1], moved_on=date(2024, 1, 15))
    sqlite = engine.dialect.name == "sqlite"
    queries = snapshot_reads(date(2024, 1, 1), date(2024, 1, 31), dialect=engine.dialect.name)
    fast = bulkread.read(engine, queries)
    with engine.connect() as conn:
        for got, (query, schema) in zip(fast, queries, strict=True):
            assert got.schema == schema
            rows = sorted(tuple(r) for r in conn.execute(text(query)))
            keys = [(c, "ascending") for c in schema.names]
            assert sorted(tuple(r.values()) for r in got.sort_by(keys).to_pylist()) == rows
    assert [t.num_rows for t in fast] == [6, 10, 6, 1]
    assert fast[3].to_pylist() == [{"person_id": 2, "household_id": ids[2]}]
    if sqlite:  # the DBAPI fallback (no ADBC driver, memory databases) reads the same
        for a, b in zip(fast, bulkread._read_dbapi(engine, queries), strict=True):
            keys = [(c, "ascending") for c in a.schema.names]
            assert a.sort_by(keys).equals(b.sort_by(keys))
    # keys too sparse to index arrays by give the same population (ranked keys)
    active, person, household, moved = fast
    person = snap._dated(person, moved)
    population = snap._population(active, person, household, DEFAULT_PRIORITY)
    assert population.num_rows == 7  # households 4 and 5: nobody monitored in January
    far = 1 << 40

    def shifted(table: pa.Table, *columns: str) -> pa.Table:
        for name in columns:
            i = table.schema.get_field_index(name)
            table = table.set_column(i, name, pc.add(table[name], far))
        return table

    sparse = snap._population(
        shifted(active, "person_id"),
        shifted(person, "person_id", "household_id"),
        shifted(household, "household_id"),
        DEFAULT_PRIORITY,
    )
    assert sparse.equals(shifted(population, "person_id", "household_id"))


_day = st.dates(date(2024, 1, 1), date(2024, 12, 31))
_moves = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(1, 4)), st.integers(1, 4), _day), max_size=5
)


@given(st.lists(_moves, min_size=1, max_size=4), _day)
def test_households_on_sql_matches_the_rule(people, day):
    """The SQL twin that the snapshot runs equals :func:`rules.household_on` (SQLite, the
    default database; the same text runs on PostgreSQL in the tests above)."""
    import sqlite3

    con = sqlite3.connect(":memory:")
    con.execute(
        "CREATE TABLE household_move (id INTEGER PRIMARY KEY, person_id INT, "
        "from_household_id INT, to_household_id INT, moved_on DATE)"
    )
    expected = {}
    for person, moves in enumerate(people, 1):
        recorded = []
        for src, dst, on in moves:
            cur = con.execute(
                "INSERT INTO household_move (person_id, from_household_id, to_household_id, "
                "moved_on) VALUES (?, ?, ?, ?)",
                (person, src, dst, on.isoformat()),
            )
            recorded.append(rules.Move(src, dst, on, seq=int(cur.lastrowid or 0)))
        if recorded:
            expected[person] = rules.household_on(99, recorded, day)
    got = dict(con.execute(households_on_sql(day)).fetchall())
    assert got == expected
    moved = pa.table(
        {"person_id": list(got), "household_id": pa.array(list(got.values()), pa.int64())}
    )
    person = pa.table(
        {
            "person_id": list(range(1, len(people) + 2)),
            "household_id": [99] * (len(people) + 1),
            "resident_id": ["x"] * (len(people) + 1),
        }
    )
    dated = snap._dated(person, moved).to_pydict()
    want = {p: expected.get(p, 99) for p in range(1, len(people) + 2)}
    assert dict(zip(dated["person_id"], dated["household_id"], strict=True)) == {
        p: h for p, h in want.items() if h is not None
    }
