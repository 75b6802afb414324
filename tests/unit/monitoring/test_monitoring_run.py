"""Monthly runs against the real migrated tables (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from safetynet.db import unit_of_work
from safetynet.ids import mask
from safetynet.monitoring import service, store
from safetynet.monitoring.models import MonitoringRun, WarningEvidence, WarningMonth
from safetynet.monitoring.params import INDICATORS
from safetynet.monitoring.store import explanation_of
from safetynet.output import record_ref
from safetynet.workflow.models import Case, CaseMonth
from tests.factories.registry import TOWNSHIPS, move
from tests.unit.monitoring.conftest import EXAMPLE, HERE, A, example_feeds, write_feed

EXPECTED_LINES = [
    f"住院 hospital · {mask(A[1])} · 个人自付 12000.00 元: 30 × 1.5 = 45",
    f"高考录取 university · {mask(A[2])} · undergraduate: 15 × 1 = 15",
    "身份系数 低保边缘人口 dibao_edge: 1.5 × 60 = 90",
    "叠加加分 overlap bonus: 10 × (2 − 1) = 10",
    "得分 score: 90 + 10 = 100 → 红色 red (≥ 90)",
]


def _run(engine, lake, params, month="2024-01"):
    with unit_of_work(engine) as session:
        return service.run_month(session=session, month=month, parameters=params, lake=lake)


def _cases(engine):
    """Every case with the months it covers."""
    with engine.connect() as conn:
        cases = [dict(r._mapping) for r in conn.execute(select(Case).order_by(Case.id))]
        covered = conn.execute(
            select(CaseMonth.case_id, WarningMonth.month).join(
                WarningMonth, WarningMonth.id == CaseMonth.warning_month_id
            )
        ).all()
    for c in cases:
        c["months"] = sorted(m for cid, m in covered if cid == c["id"])
    return cases


def _findings(engine):
    """(household, month) → the stored explanation of that household-month."""
    with Session(engine) as session:
        rows = session.scalars(select(WarningMonth).order_by(WarningMonth.id)).all()
        return {(r.household_id, r.month): explanation_of(r) for r in rows}


def _count(engine, model):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_run_month_leaves_the_commit_to_the_caller(engine, registry, lake, example_params):
    """run_month writes in the caller's unit of work: when the caller fails afterwards, the
    findings, cases and run record of the month are rolled back with it."""
    registry(EXAMPLE)
    example_feeds(lake)
    with pytest.raises(RuntimeError, match="after the run"), unit_of_work(engine) as session:
        s = service.run_month(
            session=session, month="2024-01", parameters=example_params, lake=lake
        )
        assert s.run_id is not None and s.by_level["red"] == 1
        raise RuntimeError("the caller fails after the run")
    for model in (MonitoringRun, WarningMonth, WarningEvidence, Case):
        assert _count(engine, model) == 0, model
    again = _run(engine, lake, example_params)  # not a repeat: nothing of the first was kept
    assert not again.repeat and again.warnings_new == 1


def test_worked_example_exactly(engine, registry, lake, example_params):
    ids = registry(EXAMPLE)
    example_feeds(lake)
    s = _run(engine, lake, example_params)
    assert s.by_level == {"blue": 0, "yellow": 0, "orange": 0, "red": 1}
    assert s.unmatched["hospital"] == 1 and s.unmatched["university"] == 0
    (c,) = _cases(engine)
    assert (c["household_id"], c["level"], c["state"], c["months"]) == (
        ids[1],
        "red",
        "new",
        ["2024-01"],
    )
    (((hh, month), e),) = _findings(engine).items()
    assert (hh, month, e["score"], e["level"]) == (ids[1], "2024-01", 100, "red")
    assert e["lines"] == EXPECTED_LINES
    assert (e["factor"], e["base"], e["bonus_points"], e["score"]) == ("1.5", "60", "10", 100)
    assert _count(engine, WarningEvidence) == 2
    # people appear in the stored explanation by masked ID only; the evidence keeps the full one
    assert (
        [h["person"] for h in e["hits"]]
        == [mask(A[1]), mask(A[2])]
        == [
            "620102********0012",
            "620102********0020",
        ]
    )
    assert A[1] not in json.dumps(e)
    with engine.connect() as conn:
        full = conn.execute(select(WarningEvidence.resident_id).order_by(WarningEvidence.id))
        assert full.scalars().all() == [A[1], A[2]]
    assert s.by_prefecture == {"6201": {"blue": 0, "yellow": 0, "orange": 0, "red": 1}}


def test_same_month_twice_is_a_repeat(engine, registry, lake, example_params):
    registry(EXAMPLE)
    example_feeds(lake)
    first = _run(engine, lake, example_params)
    before = _cases(engine), _findings(engine)
    second = _run(engine, lake, example_params)
    assert (first.repeat, second.repeat) == (False, True)
    assert second.by_level == first.by_level and second.warnings_new == 0
    assert (_cases(engine), _findings(engine)) == before
    assert _count(engine, WarningEvidence) == 2 and _count(engine, MonitoringRun) == 2


def test_a_move_recorded_later_leaves_an_earlier_month_as_it_was(
    engine, registry, lake, example_params
):
    """A[2] (admitted to university in January) moves to household 2 in June; the move is
    recorded after January ran. Re-running January is a repeat with the same warning; June
    counts A[2]'s hits in household 2."""
    ids = registry(EXAMPLE)
    example_feeds(lake)
    first = _run(engine, lake, example_params)
    before = _cases(engine), _findings(engine)
    move(engine, A[2], head=A[3], township=TOWNSHIPS[1], moved_on=date(2024, 6, 1))
    again = _run(engine, lake, example_params)
    assert again.repeat and again.snapshot_hash == first.snapshot_hash
    assert again.by_level == first.by_level and (_cases(engine), _findings(engine)) == before
    write_feed(lake, "hospital", "2024-06",
               [{"record_id": "ZY5", "resident_id": A[2], "oop": "12000.00"}])  # fmt: skip
    june = _run(engine, lake, example_params, "2024-06")
    # household 2 (dibao, factor 1): 30 × 1.5 = 45, blue; in household 1 it would be 68, yellow
    assert june.warnings_new == 1 and june.by_level["blue"] == 1
    (c,) = [c for c in _cases(engine) if c["household_id"] == ids[2]]
    assert c["months"] == ["2024-06"]
    e = _findings(engine)[(ids[2], "2024-06")]
    assert e["score"] == 45 and [h["person"] for h in e["hits"]] == [mask(A[2])]


def test_rerun_with_a_corrected_feed_replaces_that_months_evidence(
    engine, registry, lake, example_params
):
    """The hospital corrects January: ZY1 becomes ZY7 (same stay, new record ID). The re-run
    is not a repeat; the warning's January evidence is exactly what its explanation shows."""
    registry(EXAMPLE)
    example_feeds(lake)
    _run(engine, lake, example_params)
    write_feed(
        lake,
        "hospital",
        "2024-01",
        [{"record_id": "ZY7", "resident_id": A[1], "oop": "12000.00"}],
    )
    again = _run(engine, lake, example_params)
    assert not again.repeat and again.warnings_new == 0
    ((e),) = _findings(engine).values()
    shown = sorted(h["record"] for h in e["hits"])
    with engine.connect() as conn:
        stored = conn.execute(
            select(WarningEvidence.source, WarningEvidence.record_id).where(
                WarningEvidence.month == "2024-01"
            )
        ).all()
    key = get_settings().record_key
    assert sorted(record_ref(s, r, key=key) for s, r in stored) == shown
    assert sorted(r for _, r in stored) == ["KS1", "ZY7"]


def test_evidence_never_counted_twice_and_level_never_lowered(
    engine, registry, lake, example_params
):
    registry(EXAMPLE)
    example_feeds(lake)
    _run(engine, lake, example_params)
    # February: the hospital re-sends ZY1 (already evidence) and A has a new, cheaper stay.
    write_feed(
        lake,
        "hospital",
        "2024-02",
        [
            {"record_id": "ZY1", "resident_id": A[1], "oop": "12000.00"},
            {"record_id": "ZY9", "resident_id": A[1], "oop": "6000.00"},
        ],
    )
    feb = _run(engine, lake, example_params, "2024-02")
    (c,) = _cases(engine)
    assert feb.warnings_new == 0 and feb.warnings_updated == 1
    e = _findings(engine)[(c["household_id"], "2024-02")]
    key = get_settings().record_key
    assert [h["record"] for h in e["hits"]] == [record_ref("hospital", "ZY9", key=key)]
    assert (e["score"], e["level"]) == (45, "blue")  # 1.5 × 30 × 1.0
    assert (c["level"], c["last_month"], c["first_month"], c["months"]) == (
        "red",
        "2024-02",
        "2024-01",
        ["2024-01", "2024-02"],
    )
    assert c["version"] == 2  # opened, then updated once
    with engine.connect() as conn:
        n_zy1 = conn.execute(
            select(func.count()).where(WarningEvidence.record_id == "ZY1")
        ).scalar_one()
    assert n_zy1 == 1


def test_crash_mid_run_leaves_database_as_it_was(
    engine, registry, lake, example_params, monkeypatch
):
    registry(EXAMPLE)
    example_feeds(lake)

    def boom(_e):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_points", boom)  # fails after the findings are inserted
    with pytest.raises(RuntimeError):
        _run(engine, lake, example_params)
    assert _count(engine, WarningMonth) == 0 and _count(engine, MonitoringRun) == 0


def test_cli_run_explain_runs_simulate(use_db, engine, registry, tmp_path, monkeypatch):
    home = tmp_path / "home"
    ids = registry(EXAMPLE)
    example_feeds(home / "lake")
    override = HERE / "worked_example" / "monitoring.yaml"
    monkeypatch.setattr(
        "safetynet.cli.monitor._params",
        lambda file=None: __import__(
            "safetynet.monitoring.params", fromlist=["x"]
        ).load_monitoring_parameters(file or override),
    )
    runner = CliRunner()
    out = runner.invoke(app, ["monitor", "run", "--month", "2024-01", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["by_level"]["red"] == 1
    out = runner.invoke(app, ["monitor", "explain", str(ids[1]), "--month", "2024-01", "--json"])
    assert out.exit_code == 0, out.output
    (e,) = json.loads(out.stdout)
    total = float(e["weighted"]) + float(e["bonus_points"])
    assert round(total) == e["score"] == 100
    assert sum(float(h["points"]) for h in e["hits"]) == float(e["base"])
    out = runner.invoke(app, ["monitor", "runs", "--json"])
    assert json.loads(out.stdout)[0]["month"] == "2024-01"
    # one weight changed: hospital 30 → 60 lifts household 2 (800 yuan: 0.5 × 60 = 30) to blue
    what_if = tmp_path / "what-if.yaml"
    what_if.write_text(
        "weights:\n  hospital: {unit: points, reference: test, values: {2024-01-01: 60}}\n",
        encoding="utf-8",
    )
    out = runner.invoke(
        app, ["monitor", "simulate", "--params", str(what_if), "--month", "2024-01", "--json"]
    )
    assert out.exit_code == 0, out.output
    sim = json.loads(out.stdout)
    assert sim["changed"] == [
        {"household_id": ids[2], "from": None, "to": "blue", "score_from": 15, "score_to": 30}
    ]
    assert sim["counts"]["proposed"]["blue"] == sim["counts"]["current"]["blue"] + 1
    assert _count(engine, MonitoringRun) == 1  # simulate wrote nothing
    out = runner.invoke(app, ["monitor", "explain", str(ids[2]), "--month", "2024-01"])
    assert out.exit_code != 0
    bad = runner.invoke(app, ["monitor", "run", "--month", "2024-13"])
    assert bad.exit_code != 0


def test_a_run_writes_its_files_under_the_lake_it_is_given(
    engine, registry, lake, example_params, _isolated_home
):
    """Snapshot and used-evidence files go to the lake passed in (not the configured one),
    and the run record points at them."""
    registry(EXAMPLE)
    example_feeds(lake)
    _run(engine, lake, example_params)
    with engine.connect() as conn:
        record = conn.execute(select(MonitoringRun.snapshot_path, MonitoringRun.inputs)).one()
    paths = [Path(record.snapshot_path), Path(record.inputs["used_evidence"]["path"])]
    folder = lake / "snapshots" / "month=2024-01"
    assert all(p.parent == folder and p.is_file() for p in paths)
    assert sorted(folder.iterdir()) == sorted(paths)
    assert not (_isolated_home / "lake").exists()


def test_a_month_without_any_feed_is_refused_and_writes_nothing(
    engine, registry, lake, example_params
):
    registry(EXAMPLE)
    example_feeds(lake, "2024-01")
    with pytest.raises(service.NoFeedData, match="2024-02"):
        _run(engine, lake, example_params, "2024-02")
    assert _count(engine, MonitoringRun) == 0 and _count(engine, WarningMonth) == 0
    assert _count(engine, Case) == 0


def test_sources_missing_this_month_are_reported(engine, registry, lake, example_params):
    registry(EXAMPLE)
    example_feeds(lake)  # hospital and university only
    s = _run(engine, lake, example_params)
    expected = [x for x in INDICATORS if x not in ("hospital", "university")]
    assert s.missing_sources == expected and "disease" in expected
    with engine.connect() as conn:
        counts = conn.execute(select(MonitoringRun.counts)).scalar_one()
    assert counts["missing_sources"] == expected


def test_cli_names_prefectures_and_refuses_empty_months(use_db, engine, registry, tmp_path):
    registry(EXAMPLE)
    example_feeds(tmp_path / "home" / "lake")
    runner = CliRunner()
    out = runner.invoke(app, ["monitor", "run", "--month", "2024-01"])
    assert out.exit_code == 0, out.output
    assert "兰州市" in out.output  # prefectures by name, not only code
    assert "慢病/重大疾病 disease" in out.output  # that feed is not in yet
    empty = runner.invoke(app, ["monitor", "run", "--month", "2024-05"])
    assert empty.exit_code == 1
    assert "no department feed for 2024-05" in " ".join(empty.output.split())
    assert _count(engine, MonitoringRun) == 1
