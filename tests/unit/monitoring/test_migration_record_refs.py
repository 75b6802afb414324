"""Migration 0008: stored findings name feed records by an irreversible reference, and the
reveal log exists. A finding written before (record ID = resident ID + sequence, a full ID in
a line) comes out with a record reference and masked lines; the evidence keeps the full IDs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from safetynet.config import get_settings
from safetynet.db import _alembic_config, current_revision, make_engine, scratch_schema, upgrade
from safetynet.output import record_ref
from tests.factories.registry import add_households, resident_id

BEFORE = "0007"
RID = resident_id(7, birth="19510120")
RECORD_ID = RID + "01"
FINDING = sa.table(
    "warning_month",
    *(
        sa.column(c)
        for c in (
            "id",
            "household_id",
            "month",
            "township_code",
            "score",
            "level",
            "identity",
            "factor",
            "parameter_version",
        )
    ),
    sa.column("explanation", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at the revision before 0008."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        engine = make_engine(url)
        upgrade(engine, BEFORE)
        yield engine
        engine.dispose()
        return
    base = os.environ.get("SAFETYNET_TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL half skipped: SAFETYNET_TEST_DATABASE_URL is not set")
    with scratch_schema(base.replace("postgresql://", "postgresql+psycopg://", 1), "t") as url:
        engine = make_engine(url)
        upgrade(engine, BEFORE)
        yield engine
        engine.dispose()


def test_record_ids_in_stored_findings_become_references(old: Engine) -> None:
    hh = add_households(old, {"a": [(RID, "dibao")]})["a"]
    masked = RID[:6] + "********" + RID[14:]
    old_style = {
        "base": "45",
        "hits": [{"indicator": "hospital", "record_id": RECORD_ID, "person": masked,
                  "severity": "", "weight": "30", "modifier": "1.5", "points": "45"}],
        "lines": [f"住院 hospital · {RID}: 30 × 1.5 = 45", "得分 score: 45"],
    }  # fmt: skip
    now = datetime.now(UTC)
    with old.begin() as conn:
        conn.execute(
            FINDING.insert(),
            {"household_id": hh, "month": "2024-01", "township_code": "620102900", "score": 45,
             "level": "yellow", "identity": "dibao", "factor": 1, "parameter_version": "v",
             "explanation": old_style, "created_at": now, "updated_at": now},
        )  # fmt: skip
    upgrade(old)
    assert current_revision(old) != BEFORE
    with old.connect() as conn:
        (stored,) = conn.execute(sa.select(FINDING.c.explanation)).scalars()
    (hit,) = stored["hits"]
    assert "record_id" not in hit
    assert hit["record"] == record_ref("hospital", RECORD_ID, key=get_settings().record_key)
    assert stored["lines"] == [f"住院 hospital · {masked}: 30 × 1.5 = 45", "得分 score: 45"]
    assert RID not in str(stored) and RECORD_ID not in str(stored)
    with old.begin() as conn:  # the reveal log is there
        conn.execute(
            sa.text("INSERT INTO reveal_log (revealed_at, actor, reason, command, subject) "
                    "VALUES (:t, 'a', 'r', 'registry show', 'person 1')"),
            {"t": now},
        )  # fmt: skip
    command.downgrade(_alembic_config(old), BEFORE)
    assert "reveal_log" not in sa.inspect(old).get_table_names()
    with old.connect() as conn:  # a reference cannot be turned back into the record ID
        assert conn.execute(sa.select(FINDING.c.explanation)).scalar_one() == stored
