"""Cases: opened and updated in bulk from monitoring's findings; one open case per household;
optimistic locking (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from safetynet.db import unit_of_work
from safetynet.monitoring.models import WarningMonth
from safetynet.workflow.models import Case, CaseMonth
from safetynet.workflow.schemas import CaseCounts, Finding
from safetynet.workflow.service import cases_covering, open_or_update_cases
from tests.unit.monitoring.conftest import EXAMPLE, TOWNSHIPS, add_registry

T0 = datetime(2024, 2, 1, tzinfo=UTC)


def _finding(
    engine: Engine, household: int, month: str, level: str, *, changed: bool = True
) -> Finding:
    """A stored ``warning_month`` row of ``household`` and ``month`` (kept if there), as a Finding."""
    with engine.begin() as conn:
        found = conn.execute(
            select(WarningMonth.id).where(
                WarningMonth.household_id == household, WarningMonth.month == month
            )
        ).scalar()
        if found is None:
            found = conn.execute(
                insert(WarningMonth).returning(WarningMonth.id),
                {
                    "household_id": household,
                    "month": month,
                    "township_code": TOWNSHIPS[0],
                    "score": 50,
                    "level": level,
                    "identity": "dibao",
                    "factor": Decimal(1),
                    "explanation": {},
                    "parameter_version": "v",
                    "created_at": T0,
                    "updated_at": T0,
                },
            ).scalar_one()
    return Finding(household, month, level, TOWNSHIPS[0], found, changed)


def _apply(engine: Engine, *findings: Finding) -> CaseCounts:
    with unit_of_work(engine) as session:
        return open_or_update_cases(session=session, findings=list(findings), now=T0)


def _cases(engine: Engine) -> list[tuple[int, int, str, str, str, str, int, list[str]]]:
    with Session(engine) as session:
        rows = session.scalars(select(Case).order_by(Case.id)).all()
        months = session.execute(
            select(CaseMonth.case_id, WarningMonth.month).join(
                WarningMonth, WarningMonth.id == CaseMonth.warning_month_id
            )
        ).all()
        return [
            (
                c.id,
                c.household_id,
                c.level,
                c.first_month,
                c.last_month,
                c.state,
                c.version,
                sorted(m for cid, m in months if cid == c.id),
            )
            for c in rows
        ]


@pytest.fixture
def hh(engine: Engine) -> dict[int, int]:
    """The worked example's households: key → household id."""
    return add_registry(engine, EXAMPLE)


def test_new_cases_then_updates_and_the_level_is_never_lowered(
    engine: Engine, hh: dict[int, int]
) -> None:
    jan = [_finding(engine, hh[1], "2024-01", "red"), _finding(engine, hh[2], "2024-01", "blue")]
    assert _apply(engine, *jan) == CaseCounts(opened=2, updated=0)
    feb = [_finding(engine, hh[1], "2024-02", "blue"), _finding(engine, hh[3], "2024-02", "yellow")]
    assert _apply(engine, *feb) == CaseCounts(opened=1, updated=1)
    assert _cases(engine) == [
        (1, hh[1], "red", "2024-01", "2024-02", "new", 2, ["2024-01", "2024-02"]),
        (2, hh[2], "blue", "2024-01", "2024-01", "new", 1, ["2024-01"]),
        (3, hh[3], "yellow", "2024-02", "2024-02", "new", 1, ["2024-02"]),
    ]
    # a re-run of January raises household 2 to orange: the case's level rises, nothing else
    assert _apply(engine, _finding(engine, hh[2], "2024-01", "orange")) == CaseCounts(0, 1)
    assert _cases(engine)[1] == (2, hh[2], "orange", "2024-01", "2024-01", "new", 2, ["2024-01"])


def test_an_unchanged_covered_finding_writes_nothing(engine: Engine, hh: dict[int, int]) -> None:
    _apply(engine, _finding(engine, hh[1], "2024-01", "red"))
    before = _cases(engine)
    same = _finding(engine, hh[1], "2024-01", "red", changed=False)
    assert _apply(engine, same) == CaseCounts(opened=0, updated=0)
    assert _cases(engine) == before
    # rewritten by the run (corrected feed, other parameters): the case records the update
    assert _apply(engine, _finding(engine, hh[1], "2024-01", "red")) == CaseCounts(0, 1)


def test_a_closed_case_stays_closed_and_a_new_one_opens(engine: Engine, hh: dict[int, int]) -> None:
    _apply(engine, _finding(engine, hh[1], "2024-01", "red"))
    with unit_of_work(engine) as session:
        case = session.get_one(Case, 1)
        case.state, case.closed_at = "closed", T0
    # the same finding, unchanged, re-run: no open case covers it, so a new case opens
    again = _finding(engine, hh[1], "2024-01", "red", changed=False)
    assert _apply(engine, again) == CaseCounts(opened=1, updated=0)
    assert [(c[0], c[5], c[7]) for c in _cases(engine)] == [
        (1, "closed", ["2024-01"]),
        (2, "new", ["2024-01"]),
    ]
    with Session(engine) as session:
        covering = cases_covering(session=session, finding_id=again.finding_id)
    assert [c["case_id"] for c in covering] == [2, 1]


def test_one_open_case_per_household(engine: Engine, hh: dict[int, int]) -> None:
    _apply(engine, _finding(engine, hh[1], "2024-01", "red"))
    row = {
        "household_id": hh[1],
        "township_code": TOWNSHIPS[0],
        "level": "blue",
        "first_month": "2024-02",
        "last_month": "2024-02",
        "state": "new",
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
    }
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Case), row)
    with engine.begin() as conn:  # a closed one may sit beside it
        conn.execute(insert(Case), {**row, "state": "closed"})
    with pytest.raises(ValueError, match="one finding per household"):
        _apply(
            engine,
            _finding(engine, hh[2], "2024-01", "red"),
            _finding(engine, hh[2], "2024-02", "red"),
        )


def test_two_concurrent_edits_the_second_gets_a_conflict(
    engine: Engine, hh: dict[int, int]
) -> None:
    _apply(engine, _finding(engine, hh[1], "2024-01", "red"))
    first, second = Session(engine), Session(engine)
    try:
        a, b = first.get_one(Case, 1), second.get_one(Case, 1)
        a.state = "dispatched"
        first.commit()
        b.state = "closed"
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    assert [(c[5], c[6]) for c in _cases(engine)] == [("dispatched", 2)]
    # monitoring's bulk update also counts as a change: a caseworker's stale copy conflicts
    with Session(engine) as stale:
        c = stale.get_one(Case, 1)
        _apply(engine, _finding(engine, hh[1], "2024-02", "blue"))
        c.state = "assigned"
        with pytest.raises(StaleDataError):
            stale.commit()
