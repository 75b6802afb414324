"""Registry reads: the SQL twins of the pure rules agree with them, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Engine

from safetynet import codes
from safetynet.db import unit_of_work
from safetynet.registry import rules
from safetynet.registry.models import Household, Membership, Person
from safetynet.registry.queries import (
    active_between,
    active_sql,
    premium_population,
    primary_tallies,
    snapshot_reads,
)
from safetynet.registry.service import primary_counts
from tests.unit.registry.registry_helpers import rid

# one database per test function, reset for every example
DB = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DAY0 = date(2024, 1, 1)
days = st.integers(0, 60).map(lambda d: DAY0 + timedelta(d))


@st.composite
def intervals(draw: st.DrawFn) -> rules.Interval:
    start = draw(days)
    end = draw(st.one_of(st.none(), st.integers(0, 30).map(lambda d: start + timedelta(d))))
    return (start, end)


def _people(engine: Engine, n: int) -> list[int]:
    """``n`` persons in one household each (township of the test divisions)."""
    with engine.begin() as conn:
        ids = []
        for i in range(n):
            head = rid("19800101", 2 * i + 1)
            hh = conn.execute(
                insert(Household).returning(Household.id),
                {"head_resident_id": head, "township_code": "620102901", "urban": False},
            ).scalar_one()
            ids.append(
                conn.execute(
                    insert(Person).returning(Person.id),
                    {"resident_id": head, "name": f"甲{i}", "sex": "1",
                     "birth_date": date(1980, 1, 1), "household_id": hh, "relation": "本人"},
                ).scalar_one()
            )  # fmt: skip
    return ids


def _memberships(engine: Engine, rows: list[dict[str, object]]) -> None:
    base = {"source": "home_visit", "orphan": False, "relapsed": False, "medical_group": "none"}
    with engine.begin() as conn:
        conn.execute(delete(Membership))
        if rows:
            conn.execute(insert(Membership), [base | r for r in rows])


def test_active_sql_inlines_the_same_condition():
    assert active_sql(date(2024, 3, 1)) == (
        "membership.valid_from <= '2024-03-01' AND "
        "(membership.valid_to IS NULL OR membership.valid_to >= '2024-03-01')"
    )
    query, _ = snapshot_reads(date(2024, 3, 1), date(2024, 3, 31), dialect="postgresql")[0]
    assert "NOT INDEXED" not in query and "'2024-03-31'" in query


def test_active_between_is_the_pure_rule(regdb: Engine) -> None:
    (person,) = _people(regdb, 1)
    dialect = regdb.dialect.name

    @DB
    @given(st.lists(intervals(), min_size=1, max_size=8), intervals())
    def check(spans: list[rules.Interval], period: rules.Interval) -> None:
        start, end = period[0], period[1] or period[0]
        _memberships(
            regdb,
            [{"id": i + 1, "person_id": person, "category": "ill", "valid_from": s,
              "valid_to": e} for i, (s, e) in enumerate(spans)],
        )  # fmt: skip
        on_day = {i + 1 for i, span in enumerate(spans) if rules.active_on(span, start)}
        during = {i + 1 for i, span in enumerate(spans) if rules.overlaps(span, (start, end))}
        with regdb.connect() as conn:
            ids = select(Membership.id)
            assert set(conn.scalars(ids.where(active_between(start)))) == on_day
            assert set(conn.scalars(ids.where(active_between(start, end)))) == during
            sql = f"SELECT id FROM membership WHERE {active_sql(start, end, dialect=dialect)}"
            assert set(conn.scalars(text(sql))) == during

    check()


def test_primary_counts_are_the_pure_primary_category(regdb: Engine) -> None:
    people = _people(regdb, 4)
    categories = sorted(codes.CATEGORIES)

    @DB
    @given(
        st.lists(
            st.tuples(st.sampled_from(range(4)), st.sampled_from(categories), intervals()),
            max_size=10,
        ),
        days,
        st.permutations(categories),
    )
    def check(held: list[tuple[int, str, rules.Interval]], on: date, priority: list[str]) -> None:
        _memberships(
            regdb,
            [{"person_id": people[p], "category": c, "valid_from": s, "valid_to": e}
             for p, c, (s, e) in held],
        )  # fmt: skip
        by_person: dict[int, list[str]] = {}
        for p, c, span in held:
            if rules.active_on(span, on):
                by_person.setdefault(p, []).append(c)
        expected = Counter(rules.primary_category(cs, priority) for cs in by_person.values())
        with regdb.connect() as conn:
            got = primary_counts(conn=conn, on=on, priority=priority)
        assert got == {c: expected.get(c, 0) for c in priority}

    check()


@pytest.mark.parametrize("relapsed", [False, True])
def test_premium_population_takes_the_registry_default_group(regdb: Engine, relapsed: bool):
    """A membership stored without a medical group gets the import's rule: an unstable
    lifted-out household (脱贫不稳定户) is under poverty-relapse monitoring, so prone (relapsed
    when flagged 返贫致贫), never the stable transition-period group."""
    people = _people(regdb, len(codes.CATEGORIES))
    cats = list(codes.CATEGORIES)
    _memberships(
        regdb,
        [{"person_id": p, "category": c, "valid_from": DAY0, "relapsed": relapsed,
          "medical_group": ""} for p, c in zip(people, cats, strict=True)],
    )  # fmt: skip
    with unit_of_work(regdb) as session:
        table = premium_population(session=session, on=DAY0)
    assert table["group"].to_pylist() == [
        rules.default_medical_group(c, relapsed=relapsed) for c in cats
    ]
    assert rules.default_medical_group("unstable_lifted", relapsed=relapsed) == (
        "relapsed" if relapsed else "prone"
    )


def _premium_oracle(rows: list[dict[str, object]], on: date) -> list[tuple[str, str, object]]:
    """Row by row: each active person's best group (codes.MEDICAL_GROUPS order) and the smallest
    dibao class among that group's rows, else the smallest of all their rows, in person order."""
    order = list(codes.MEDICAL_GROUPS)
    held: dict[int, list[tuple[int, str | None]]] = {}
    for r in rows:
        if not rules.active_on((r["valid_from"], r["valid_to"]), on):  # type: ignore[arg-type]
            continue
        group = str(r["medical_group"]) or rules.default_medical_group(
            str(r["category"]), relapsed=bool(r["relapsed"])
        )
        pid = int(r["person_id"])  # type: ignore[call-overload]
        held.setdefault(pid, []).append((order.index(group), str(r["dibao_class"] or "") or None))
    out = []
    for pid in sorted(held):
        best = min(g for g, _ in held[pid])
        mine = sorted(c for g, c in held[pid] if g == best and c)
        every = sorted(c for _, c in held[pid] if c)
        out.append(("6201", order[best], (mine or every or [None])[0]))
    return out


@settings(DB, max_examples=8)  # each SQLite example starts the bulk reader's child process
@given(
    held=st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(list(codes.CATEGORIES)),
            st.sampled_from(["", *codes.MEDICAL_GROUPS]),
            st.sampled_from([None, "", "A", "B"]),
            st.booleans(),
            intervals(),
        ),
        max_size=14,
    ),
    on=days,
)
def test_premium_population_equals_the_row_by_row_rule(regdb: Engine, held, on):
    """The column-wise premium population (bulk read) equals the rule applied row by row:
    several memberships per person, groups stored or defaulted, a class on another row."""
    people = _people_once(regdb)
    rows = [
        {"person_id": people[p], "category": c, "medical_group": g, "dibao_class": k,
         "relapsed": rel, "valid_from": s, "valid_to": e}
        for p, c, g, k, rel, (s, e) in held
    ]  # fmt: skip
    _memberships(regdb, rows)
    with unit_of_work(regdb) as session:
        table = premium_population(session=session, on=on)
    got = list(zip(*(table[c].to_pylist() for c in table.column_names), strict=True))
    assert got == _premium_oracle(rows, on)


def _people_once(engine: Engine) -> list[int]:
    """Six persons, made once per database (the examples only replace memberships)."""
    with engine.connect() as conn:
        ids = list(conn.scalars(select(Person.id).order_by(Person.id)))
    return ids or _people(engine, 6)


@settings(DB, max_examples=8)  # each SQLite example starts the bulk reader's child process
@given(
    held=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(sorted(codes.CATEGORIES)), intervals()),
        max_size=12,
    ),
    on=days,
    priority=st.permutations(sorted(codes.CATEGORIES)),
)
def test_primary_tallies_equal_the_sql_counts(regdb: Engine, held, on, priority):
    """``stats``' column-wise counts (one bulk read) equal the SQL GROUP BY and the pure rule,
    by category and, for the seed categories, by prefecture."""
    people = _people_once(regdb)
    _memberships(
        regdb,
        [{"person_id": people[p], "category": c, "valid_from": s, "valid_to": e}
         for p, c, (s, e) in held],
    )  # fmt: skip
    with unit_of_work(regdb) as session:
        counts, by_pref = primary_tallies(
            session=session, on=on, priority=tuple(priority), seed=codes.SEED_CATEGORIES
        )
    with regdb.connect() as conn:
        assert counts == primary_counts(conn=conn, on=on, priority=priority)
    by_person: dict[int, list[str]] = {}
    for p, c, span in held:
        if rules.active_on(span, on):
            by_person.setdefault(p, []).append(c)
    seed = sum(
        rules.primary_category(cs, priority) in codes.SEED_CATEGORIES for cs in by_person.values()
    )
    assert by_pref == ({"6201": seed} if seed else {})


def test_premium_population_reads_a_class_first_met_after_many_nulls(regdb: Engine) -> None:
    """The ADBC SQLite driver types a column from its first rows: a dibao class met only after
    thousands of NULLs must still read as text (it failed with 'Type mismatch in column 4')."""
    (person,) = _people(regdb, 1)[:1]
    rows: list[dict[str, object]] = [
        {"person_id": person, "category": "ill", "valid_from": DAY0, "dibao_class": None}
        for _ in range(3000)
    ]
    rows.append({"person_id": person, "category": "dibao", "valid_from": DAY0,
                 "dibao_class": "A", "medical_group": "dibao"})  # fmt: skip
    _memberships(regdb, rows)
    with unit_of_work(regdb) as session:
        table = premium_population(session=session, on=DAY0)
    assert table.to_pylist() == [{"prefecture": "6201", "group": "dibao", "dibao_class": "A"}]
