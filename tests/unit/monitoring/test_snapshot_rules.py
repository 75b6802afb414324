"""The snapshot's vectorised population is the pure registry rule: each person's primary
category and each household's category, on random registries (dense and sparse keys)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from safetynet import codes
from safetynet.monitoring import snapshot as snap
from safetynet.registry import rules

CATEGORIES = sorted(codes.CATEGORIES)


@st.composite
def registries(draw: st.DrawFn):
    households = draw(st.integers(1, 5))
    people = draw(st.lists(st.integers(0, households - 1), min_size=1, max_size=12))
    held = draw(
        st.lists(
            st.tuples(st.integers(0, len(people) - 1), st.sampled_from([*CATEGORIES, "retired"])),
            max_size=15,
        )
    )
    # the snapshot reads households of the registry; a person may point at one it lacks
    listed = draw(st.sets(st.integers(0, households - 1), min_size=1))
    spread = draw(st.sampled_from([1, 7, 1 << 40]))  # 1 << 40: too sparse to index by
    order = draw(st.permutations(range(len(people))))
    priority = tuple(draw(st.permutations(CATEGORIES)))
    return people, held, listed, spread, order, priority


@settings(deadline=None)
@given(registries())
def test_population_is_the_pure_rule(registry):
    people, held, listed, spread, order, priority = registry
    pid = [(i + 1) * spread for i in range(len(people))]
    hid = [(h + 1) * spread for h in people]
    person = pa.table(
        {
            "person_id": pa.array([pid[i] for i in order], pa.int64()),
            "household_id": pa.array([hid[i] for i in order], pa.int64()),
            "resident_id": [f"R{i}" for i in order],
        }
    )
    active = pa.table(
        {"person_id": pa.array([pid[p] for p, _ in held], pa.int64()),
         "category": pa.array([c for _, c in held], pa.string())}
    )  # fmt: skip
    household = pa.table(
        {"household_id": pa.array([(h + 1) * spread for h in sorted(listed)], pa.int64()),
         "township_code": [f"62010290{h}" for h in sorted(listed)]}
    )  # fmt: skip
    got = snap._population(active, person, household, priority).to_pylist()

    cats: dict[int, list[str]] = {i: [] for i in range(len(people))}
    for p, c in held:
        cats[p].append(c)
    members: dict[int, list[list[str]]] = {}
    for i, h in enumerate(people):
        members.setdefault(h, []).append(cats[i])
    expected = []
    for i, h in enumerate(people):  # person ids ascend with i
        identity = rules.household_category(members[h], priority)
        if identity is not None and h in listed:
            expected.append(
                {
                    "household_id": hid[i],
                    "township_code": f"62010290{h}",
                    "resident_id": f"R{i}",
                    "person_id": pid[i],
                    "category": rules.primary_category(cats[i], priority),
                    "identity": identity,
                }
            )
    assert got == expected
