from __future__ import annotations

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
