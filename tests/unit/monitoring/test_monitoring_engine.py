"""Scoring core on Parquet fixtures: DuckDB/Spark parity and the explanation arithmetic."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetynet.monitoring.engine import USED_SCHEMA, Backend, make_backend, score_month
from safetynet.monitoring.explain import explain_household, score_of
from safetynet.monitoring.params import DEFAULT_PRIORITY, LEVELS, scoring_params
from tests.unit.monitoring.conftest import write_feed


def _province(root: Path, seed: int = 7) -> tuple[Path, dict[str, list[Path]], pa.Table]:
    rnd = random.Random(seed)
    rows = []
    for hh in range(1, 301):
        cats = [rnd.choice([*DEFAULT_PRIORITY, None]) for _ in range(rnd.randint(1, 4))]
        if all(c is None for c in cats):
            cats[0] = "dibao"
        ident = min((c for c in cats if c), key=DEFAULT_PRIORITY.index)
        for i, c in enumerate(cats):
            rows.append(
                {
                    "household_id": hh,
                    "township_code": f"62{hh % 14 + 1:02d}02900",
                    "resident_id": f"R{hh:05d}{i}",
                    "person_id": len(rows) + 1,
                    "category": c,
                    "identity": ident,
                }
            )
    root.mkdir(parents=True, exist_ok=True)
    people = root / "people.parquet"
    pq.write_table(pa.Table.from_pylist(rows), people)
    ids = [r["resident_id"] for r in rows] + [f"OUT{i}" for i in range(40)]
    month, parts = "2024-03", {}
    gens = {
        "hospital": lambda: {"oop": f"{rnd.randint(0, 40000)}.{rnd.randint(0, 99):02d}"},
        "disease": lambda: {"major_disease": rnd.random() < 0.3},
        "university": lambda: {"level": rnd.choice(["undergraduate", "college", "secondary"])},
        "disability": lambda: {"grade": rnd.randint(1, 4)},
        "unemployment": dict,
        "relapse": lambda: {"subtype": rnd.choice(["edge_prone", "sudden_hardship"])},
        "death": dict,
    }
    home = {r["resident_id"]: r["household_id"] for r in rows}
    used_rows = []
    for source, gen in gens.items():
        recs = [
            {"record_id": f"{source[:2]}{i}", "resident_id": rnd.choice(ids), **gen()}
            for i in range(rnd.randint(20, 80))
        ]
        parts[source] = [write_feed(root, source, month, recs)]
        used_rows += [
            {"household_id": home[r["resident_id"]], "source": source, "record_id": r["record_id"]}
            for r in recs[:5]
            if r["resident_id"] in home
        ]
    used = pa.Table.from_pylist(used_rows, schema=USED_SCHEMA)
    return people, parts, used


def _score(backend: Backend, root: Path, *, seed: int = 7, drop: tuple[str, ...] = ()):
    people, parts, used = _province(root, seed)
    for source in drop:  # a month in which some departments sent nothing
        parts.pop(source)
    from safetynet.monitoring.params import default_monitoring_parameters

    params = scoring_params(default_monitoring_parameters(), "2024-03")
    try:
        res = score_month(backend, people=people, partitions=parts, used=used, params=params)
    finally:
        backend.close()
    scores = sorted(res.scores.to_pylist(), key=lambda r: r["household_id"])
    evidence = sorted(res.evidence.to_pylist(), key=lambda r: (r["household_id"], r["record_id"]))
    return scores, evidence, res.counts


def _duckdb(root: Path, **kwargs: Any):
    return _score(make_backend("duckdb"), root, **kwargs)


def test_duckdb_scores_match_the_inputs_counted_by_hand(tmp_path):
    """Counters, evidence and scores of the engine against the fixture's own records: every
    record of a scored person is evidence unless already used, every other one is counted
    unmatched or reused, and each household's score is the spec's formula over its evidence."""
    from safetynet.monitoring.params import default_monitoring_parameters

    scores, evidence, counts = _duckdb(tmp_path)
    people, parts, used = _province(tmp_path / "inputs")
    home = {r["resident_id"]: r for r in pq.read_table(people).to_pylist()}
    used_keys = {(u["household_id"], u["source"], u["record_id"]) for u in used.to_pylist()}
    expected_evidence = set()
    for source, files in parts.items():
        recs = pq.read_table(files[0]).to_pylist()
        matched = [r for r in recs if r["resident_id"] in home]
        reused = [
            r for r in matched
            if (home[r["resident_id"]]["household_id"], source, r["record_id"]) in used_keys
        ]  # fmt: skip
        assert counts[source] == {
            "records": len(recs), "unmatched": len(recs) - len(matched), "reused": len(reused),
        }, source  # fmt: skip
        assert reused and len(matched) > len(reused)
        expected_evidence |= {
            (home[r["resident_id"]]["household_id"], source, r["record_id"], r["resident_id"])
            for r in matched if r not in reused
        }  # fmt: skip
    params = scoring_params(default_monitoring_parameters(), "2024-03")
    assert {sc["household_id"] for sc in scores} == {e[0] for e in expected_evidence}
    warned = {sc["household_id"] for sc in scores if sc["level"] is not None}
    # evidence comes back for the warned households only (the rest stays in the engine)
    assert {
        (e["household_id"], e["indicator"], e["record_id"], e["resident_id"]) for e in evidence
    } == {e for e in expected_evidence if e[0] in warned}
    levels = set()
    for s in scores:
        mine = [e for e in expected_evidence if e[0] == s["household_id"]]
        n = len({e[1] for e in mine})
        assert (s["n_hits"], s["n_indicators"]) == (len(mine), n)
        reached = [lv for lv in LEVELS if s["score"] >= params.thresholds[lv]]
        assert s["level"] == (reached[-1] if reached else None)
        levels.add(s["level"])
        if s["level"] is None:
            continue
        hits = [e for e in evidence if e["household_id"] == s["household_id"]]
        assert all(e["points_micro"] == e["weight"] * e["modifier"] for e in hits)
        assert s["base_micro"] == sum(e["points_micro"] for e in hits)
        identity = {home[e["resident_id"]]["identity"] for e in hits}
        assert identity == {s["identity"]}
        assert s["factor"] == params.identity[s["identity"]]
        assert all(e["weight"] == params.weights[e["indicator"]] for e in hits)
        assert s["score"] == score_of(
            [e["points_micro"] for e in hits], n, s["factor"], params.bonus
        )
    assert {"blue", "red", None} <= levels


def test_other_hardship_is_lowest_in_priority_with_identity_factor_one(tmp_path):
    """其他困难人员 scores with the factor 1.0 of monitoring.yaml (ill: 1.2) and is the last
    category a household identity is taken from."""
    from safetynet.monitoring.params import default_monitoring_parameters

    params = scoring_params(default_monitoring_parameters(), "2024-03")
    assert params.priority[-1] == "other_hardship" and params.identity["other_hardship"] == 1000
    rows = [
        {"household_id": h, "township_code": "620102900", "resident_id": f"R{h}",
         "person_id": h, "category": c, "identity": c}
        for h, c in ((1, "other_hardship"), (2, "ill"))
    ]  # fmt: skip
    people = tmp_path / "people.parquet"
    pq.write_table(pa.Table.from_pylist(rows), people)
    hospital = [{"record_id": f"ZY{h}", "resident_id": f"R{h}", "oop": "12000.00"} for h in (1, 2)]
    parts = {"hospital": [write_feed(tmp_path, "hospital", "2024-03", hospital)]}
    used = pa.Table.from_pylist([], schema=USED_SCHEMA)
    backend = make_backend("duckdb")
    try:
        res = score_month(backend, people=people, partitions=parts, used=used, params=params)
    finally:
        backend.close()
    got = {
        r["household_id"]: (r["identity"], r["factor"], r["score"]) for r in res.scores.to_pylist()
    }
    assert got == {1: ("other_hardship", 1000, 45), 2: ("ill", 1200, 54)}


@pytest.fixture(scope="module")
def spark() -> Iterator[Backend]:
    """One local Spark session for every parity case of this module (JVM start-up is the cost)."""
    if shutil.which("java") is None:
        pytest.skip("Spark parity needs Java (java not on PATH)")
    pytest.importorskip("pyspark", reason="Spark parity needs PySpark (extra 'spark')")
    backend = make_backend("spark", master="local[1]", shuffle_partitions=1, cache=True)
    yield backend
    backend.spark.stop()  # type: ignore[attr-defined]


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "drop"),
    [(7, ()), (11, ("university", "death", "relapse"))],
    ids=["all-sources", "missing-sources"],
)
def test_duckdb_and_spark_give_identical_warnings(spark, tmp_path, seed, drop):
    duck = _duckdb(tmp_path / "d", seed=seed, drop=drop)
    assert any(s["level"] for s in duck[0]) and duck[1]
    assert _score(spark, tmp_path / "s", seed=seed, drop=drop) == duck


hit = st.fixed_dictionaries(
    {
        "indicator": st.sampled_from(["hospital", "disease", "university", "death"]),
        "record_id": st.text("abc123", min_size=1, max_size=4),
        "resident_id": st.sampled_from(["A", "B", "C"]),
        "mkey": st.none(),
        "amount": st.decimals(0, 50000, places=2),
        "weight": st.integers(0, 100_000),
        "modifier": st.integers(0, 3000),
    }
)


@given(st.lists(hit, min_size=1, max_size=6), st.integers(500, 2000), st.integers(0, 20000))
def test_explanation_adds_up_to_the_integer_score(hits, factor, bonus):
    e = explain_household(
        hits,
        identity="dibao",
        factor=factor,
        bonus=bonus,
        thresholds={"blue": 30, "yellow": 45, "orange": 65, "red": 90},
        ref=lambda source, record_id: f"{source}:{record_id}",
    )
    n = len({h["indicator"] for h in hits})
    assert e["score"] == score_of([h["weight"] * h["modifier"] for h in hits], n, factor, bonus)
    assert sum(Decimal(h["points"]) for h in e["hits"]) == Decimal(e["base"])
    assert Decimal(e["weighted"]) == Decimal(e["factor"]) * Decimal(e["base"])
