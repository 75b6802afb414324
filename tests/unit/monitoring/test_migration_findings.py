"""Migration 0007 (warnings → findings and cases) keeps every finding of a synthetic year.

A small synthetic province is imported into two databases. In the first, at the schema before 0007,
the months are written the old way (``legacy_warnings``) and exported through the old tables; then it
is upgraded. The second is at head and runs the months through today's ``run_month``. Both
export, through the new tables and the monitoring service, exactly what the first held before: findings (household, month, score, level, identity, explanation), evidence records, and
the cases with the months they cover. The sequence closes some warnings and re-runs a month
with other parameters, so that one household-month can be in two warnings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from safetynet.db import (
    _alembic_config,
    current_revision,
    make_engine,
    scratch_schema,
    unit_of_work,
    upgrade,
)
from safetynet.monitoring import service
from safetynet.monitoring.models import WarningEvidence, WarningMonth
from safetynet.monitoring.params import load_monitoring_parameters
from safetynet.synth.generate import SynthParams, generate
from safetynet.workflow.models import Case, CaseMonth
from tests.unit.monitoring import legacy_warnings

#: the schema revision before the findings and cases
BEFORE = "0006"
MONTHS = ("2024-01", "2024-02", "2024-03", "2024-04")


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "province"
    generate(SynthParams(scale=0.001, seed=7, months=len(MONTHS), start=MONTHS[0]), out)
    return out


@contextmanager
def _second_database(db_url: str, tmp_path: Path) -> Iterator[str]:
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    base = os.environ["SAFETYNET_TEST_DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    with scratch_schema(base, "t") as url:
        yield url


def _build(url: str, home: Path, province: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Import the province's divisions, registry and feeds into ``url`` (at head)."""
    monkeypatch.setenv("SAFETYNET_HOME", str(home))
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    runner = CliRunner()
    for args in (
        ["regions", "import", str(province / "divisions.csv")],
        ["registry", "import", str(province / "registry.csv")],
        *(["feeds", "ingest-dir", str(province / "feeds" / m)] for m in MONTHS),
    ):
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
    return engine


def export(engine: Engine) -> dict[str, Any]:
    """Findings (through ``monitor explain``'s service), evidence and cases of a database at head."""
    with Session(engine) as session:
        keys = session.execute(select(WarningMonth.household_id, WarningMonth.month)).all()
        evidence = session.execute(
            select(WarningEvidence, CaseMonth.case_id).join(
                CaseMonth, CaseMonth.warning_month_id == WarningEvidence.warning_month_id
            )
        ).all()
        cases = session.scalars(select(Case).order_by(Case.id)).all()
        covered = session.execute(
            select(CaseMonth.case_id, WarningMonth.month).join(
                WarningMonth, WarningMonth.id == CaseMonth.warning_month_id
            )
        ).all()
    findings: dict[tuple[int, str], dict[str, Any]] = {}
    for hh, month in keys:
        with unit_of_work(engine) as session:
            shown = service.explanations(session=session, household_id=hh, month=month)
        assert shown, (hh, month)
        first = {
            k: v
            for k, v in shown[0].items()
            if k not in ("warning_id", "status", "warning_level", "month")
        }
        assert all({**e, **first} == e for e in shown)  # one finding whatever the case
        findings[(hh, month)] = first
    # evidence belongs to the newest case covering its finding (the old warning that wrote it)
    newest: dict[int, Any] = {}
    for e, case_id in evidence:
        if e.id not in newest or case_id > newest[e.id][1]:
            newest[e.id] = (e, case_id)
    months: dict[int, list[str]] = {}
    for case_id, month in covered:
        months.setdefault(case_id, []).append(month)
    return {
        "findings": findings,
        "evidence": sorted(
            (
                case_id,
                e.household_id,
                e.month,
                e.source,
                e.record_id,
                e.resident_id,
                e.indicator,
                Decimal(e.points),
            )
            for e, case_id in newest.values()
        ),
        "cases": {
            c.id: {
                "household_id": c.household_id,
                "township_code": c.township_code,
                "level": c.level,
                "months": sorted(months[c.id]),
                "first_month": c.first_month,
                "last_month": c.last_month,
                "open": c.state != "closed",
            }
            for c in cases
        },
    }


def _unstamped(data: dict[str, Any]) -> dict[str, Any]:
    """Parameter-version stamps aside."""
    return {
        **data,
        "findings": {
            k: {x: y for x, y in v.items() if x != "parameter_version"}
            for k, v in data["findings"].items()
        },
    }


def test_migration_keeps_the_findings_of_a_synthetic_year(
    db_url: str, tmp_path: Path, province: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_monitoring_parameters()
    what_if_file = tmp_path / "what-if.yaml"
    what_if_file.write_text(
        "weights:\n  hospital: {unit: points, reference: test, values: {2024-01-01: 45}}\n",
        encoding="utf-8",
    )
    what_if = load_monitoring_parameters(what_if_file)
    with _second_database(db_url, tmp_path) as new_url:
        new = _build(new_url, tmp_path / "new", province, monkeypatch)
        old = _build(db_url, tmp_path / "old", province, monkeypatch)
        command.downgrade(_alembic_config(old), BEFORE)
        now = datetime(2024, 5, 1, tzinfo=UTC)
        # the months, some closings, one more month, then February again with other weights
        plan: list[tuple[str, Any]] = [(m, params) for m in MONTHS[:3]]
        plan += [("close", None), (MONTHS[3], params), (MONTHS[1], what_if)]
        done: set[str] = set()
        for month, parameters in plan:
            if month == "close":
                with old.begin() as conn:
                    conn.execute(
                        text(
                            "UPDATE warning SET status = 'closed', closed_at = :t "
                            "WHERE household_id % 3 = 0 AND status = 'open'"
                        ),
                        {"t": now},
                    )
                with new.begin() as conn:
                    conn.execute(
                        text(
                            "UPDATE \"case\" SET state = 'closed', closed_at = :t "
                            "WHERE household_id % 3 = 0 AND state <> 'closed'"
                        ),
                        {"t": now},
                    )
                continue
            counts = legacy_warnings.run_month(
                old,
                month=month,
                parameters=parameters,
                lake=tmp_path / "old" / "lake",
                rerun=month in done,
                now=now,
            )
            with unit_of_work(new) as session:
                s = service.run_month(
                    session=session, month=month, parameters=parameters,
                    lake=tmp_path / "new" / "lake",
                )  # fmt: skip
            assert (s.warnings_new, s.warnings_updated) == counts, month
            done.add(month)
        before = legacy_warnings.export(old)
        shared = [k for k, v in before["cases"].items() if len(v["months"]) > 1]
        reopened = {c["household_id"] for c in before["cases"].values() if not c["open"]} & {
            c["household_id"] for c in before["cases"].values() if c["open"]
        }
        assert len(before["findings"]) > 150 and len(before["evidence"]) > 150
        assert shared and reopened  # updated warnings, and households warned again after closing
        doubled = [
            (hh, m)
            for (hh, m) in before["findings"]
            if sum(hh == c["household_id"] and m in c["months"] for c in before["cases"].values())
            > 1
        ]
        assert doubled  # a household-month in a closed and an open warning

        upgrade(old)
        assert current_revision(old) != BEFORE
        assert _unstamped(export(old)) == _unstamped(before)
        assert _unstamped(export(new)) == _unstamped(before)

        command.downgrade(_alembic_config(old), BEFORE)
        assert legacy_warnings.export(old) == before
        new.dispose()
    old.dispose()
