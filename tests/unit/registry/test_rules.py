from __future__ import annotations

import functools
from datetime import date, timedelta

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from safetynet.registry import rules
from safetynet.registry._checks import medical_default_sql, overlap_sql
from safetynet.registry.categories import CATEGORIES

days = st.integers(min_value=0, max_value=400).map(lambda d: date(2023, 1, 1) + timedelta(d))


@st.composite
def spans(draw):
    start = draw(days)
    end = draw(st.one_of(st.none(), st.integers(0, 200).map(lambda d: start + timedelta(d))))
    return rules.Span(draw(st.sampled_from(["tekun", "dibao", "ill"])), start, end)


@given(st.lists(spans(), max_size=6))
def test_exclusive_conflicts_match_day_by_day(items):
    pairs = set(rules.exclusive_conflicts(items))
    for j, b in enumerate(items):
        for i in range(j):
            a = items[i]
            shared = any(
                rules.active_on(a.interval, d) and rules.active_on(b.interval, d)
                for d in (date(2023, 1, 1) + timedelta(k) for k in range(700))
            )
            expected = shared and {a.category, b.category} == {"tekun", "dibao"}
            assert ((i, j) in pairs) == expected


@given(st.sets(st.sampled_from(sorted(CATEGORIES))), st.permutations(sorted(CATEGORIES)))
def test_primary_category_is_first_held_in_priority(held, priority):
    got = rules.primary_category(held, priority)
    if not held:
        assert got is None
    else:
        assert got in held
        assert all(priority.index(got) <= priority.index(c) for c in held)


@functools.cache
def _duck() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()  # one for all examples: connecting costs more than the query


@settings(deadline=None)
@given(st.lists(st.tuples(spans(), spans()), min_size=1, max_size=20))
def test_overlap_sql_matches_rule(pairs):
    """The import's tekun/dibao overlap check (DuckDB) is the pure rule."""
    side = {
        name: pa.table(
            {
                "i": pa.array(range(len(pairs)), pa.int32()),
                "valid_from": pa.array([pair[k].valid_from for pair in pairs], pa.date32()),
                "valid_to": pa.array([pair[k].valid_to for pair in pairs], pa.date32()),
            }
        )
        for k, name in enumerate(("sa", "sb"))
    }
    con = _duck()
    con.register("sa", side["sa"])
    con.register("sb", side["sb"])
    got = con.execute(
        f"SELECT a.i FROM sa a JOIN sb b ON a.i = b.i WHERE {overlap_sql('a', 'b')} ORDER BY a.i"
    ).fetchall()
    assert [i for (i,) in got] == [
        i for i, (a, b) in enumerate(pairs) if rules.overlaps(a.interval, b.interval)
    ]


def test_household_category_is_the_first_of_the_members_primary_categories():
    priority = rules.DEFAULT_PRIORITY
    assert rules.household_category([["ill"], ["unemployed", "disabled"]], priority) == "disabled"
    assert rules.household_category([["ill", "tekun"], []], priority) == "tekun"
    assert rules.household_category([], priority) is None


def test_medical_default_sql_matches_rule():
    con = duckdb.connect()
    for category in [*CATEGORIES, None]:
        for relapsed in (False, True):
            sql = medical_default_sql("c", "r")
            got = con.execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS c, ? AS r)",
                              [category, relapsed]).fetchone()[0]  # fmt: skip
            assert got == rules.default_medical_group(category, relapsed=relapsed)


def test_priority_parameter_is_valid():
    from safetynet.registry.service import primary_priority

    assert primary_priority(date(2024, 1, 1)) == rules.DEFAULT_PRIORITY
