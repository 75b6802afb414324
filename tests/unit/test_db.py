from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import inspect

from safetynet.db import current_revision, make_engine, upgrade


def test_migrations_reach_head_and_are_idempotent(engine):
    head = current_revision(engine)
    assert head is not None
    upgrade(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head
    assert "region" in inspect(engine).get_table_names()


def test_models_match_migrations(engine):
    """The tables the code declares are exactly those the migrations create."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from safetynet.db import Base
    from safetynet.models import load_all

    load_all()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    tables = [d for d in diff if d[0] in ("add_table", "remove_table")]
    assert tables == []


def test_sqlite_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_migration_0005_masks_ids_in_stored_explanations(engine):
    """Explanations written before 0005 named people by full resident ID; 0005 masks them."""
    from alembic import command
    from sqlalchemy import text

    from safetynet.db import _alembic_config

    command.downgrade(_alembic_config(engine), "0004")
    old = {
        "2024-01": {
            "score": 45,
            "hits": [{"indicator": "hospital", "record_id": "Z1", "resident_id": "62010219800101123X",
                      "points": "45"}],
            "lines": ["住院 hospital · 62010219800101123X · 个人自付 12000.00 元: 30 × 1.5 = 45",
                      "record 12345678901234567890 is not an ID"],
        }
    }  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO region (code, name, level, parent_code, source) VALUES "
                "('620000', '甘肃省', 1, NULL, 't'), ('620102001', '模拟街道', 9, '620000', 't')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO household (id, head_resident_id, township_code, urban) "
                "VALUES (1, '62010219800101123X', '620102001', :u)"
            ),
            {"u": False},
        )
        conn.execute(
            text(
                "INSERT INTO warning (household_id, township_code, first_month, last_month, level,"
                " score, status, explanation, parameter_version, created_at, updated_at) VALUES "
                "(1, '620102001', '2024-01', '2024-01', 'blue', 45, 'open', :e, 'v', :t, :t)"
            ),
            {"e": json.dumps(old), "t": datetime(2024, 2, 1, tzinfo=UTC)},
        )
    upgrade(engine, "0005")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT explanation FROM warning")).scalar_one()
    e = (json.loads(stored) if isinstance(stored, str) else stored)["2024-01"]
    assert e["hits"] == [
        {"indicator": "hospital", "record_id": "Z1", "person": "620102********123X", "points": "45"}
    ]
    assert e["lines"] == [
        "住院 hospital · 620102********123X · 个人自付 12000.00 元: 30 × 1.5 = 45",
        "record 12345678901234567890 is not an ID",
    ]
    assert e["score"] == 45
