"""Only ``safetynet db upgrade`` (and ``demo``) migrates; every other command refuses a schema
that is missing, behind or ahead, with nothing changed. The unit of work commits once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.config import get_settings
from safetynet.db import (
    SchemaNotCurrent,
    current_revision,
    head_revision,
    make_engine,
    require_current_schema,
    unit_of_work,
)
from safetynet.regions.models import Region

runner = CliRunner()

#: Every command that opens the database (arguments that get it as far as opening it).
DB_COMMANDS = [
    ["regions", "import", "--builtin"],
    ["regions", "show", "62"],
    ["regions", "stats"],
    ["registry", "imports"],
    ["registry", "rejects", "--import", "1"],
    ["registry", "show", "1"],
    ["stats"],
    ["feeds", "list"],
    ["feeds", "rejects", "--source", "hospital", "--month", "2024-01"],
    ["monitor", "runs"],
    ["monitor", "run", "--month", "2024-01"],
    ["monitor", "explain", "1", "--month", "2024-01"],
    ["calc", "premiums", "--year", "2024"],
    ["standards", "list"],
    ["eligibility", "check"],
]


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


@pytest.mark.parametrize("args", DB_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_command_refuses_a_database_without_schema(empty_db: str, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "safetynet db upgrade" in result.stderr
    assert "数据库尚未初始化" in result.stderr
    engine = make_engine(empty_db)
    assert inspect(engine).get_table_names() == []  # nothing migrated, nothing written
    engine.dispose()


def test_command_refuses_a_schema_behind_and_changes_nothing(engine: Engine, use_db: str) -> None:
    from alembic import command

    from safetynet.db import _alembic_config

    command.downgrade(_alembic_config(engine), "0004")
    result = runner.invoke(app, ["regions", "import", "--builtin"])
    assert result.exit_code == 1
    assert "0004" in result.stderr and "safetynet db upgrade" in result.stderr
    assert current_revision(engine) == "0004"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Region)) == 0

    upgraded = runner.invoke(app, ["db", "upgrade", "--json"])
    assert upgraded.exit_code == 0 and current_revision(engine) == head_revision()
    again = runner.invoke(app, ["regions", "import", "--builtin", "--json"])
    assert again.exit_code == 0, again.output
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Region)) == 103


def test_schema_ahead_of_the_program_is_refused(engine: Engine) -> None:
    require_current_schema(engine)  # at head: no complaint
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaNotCurrent, match="update safetynet"):
        require_current_schema(engine)


def test_db_current_reads_any_database(empty_db: str) -> None:
    result = runner.invoke(app, ["db", "current", "--json"])
    assert result.exit_code == 0 and '"revision": null' in result.stdout


def test_unit_of_work_commits_once_or_rolls_back(engine: Engine) -> None:
    row = {"code": "62", "name": "甘肃省", "level": 2, "parent_code": None, "source": "t"}
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        session.add(Region(**row))
        session.flush()
        raise RuntimeError("boom")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Region)) == 0
    with unit_of_work(engine) as session:
        session.add(Region(**row))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Region)) == 1


def test_a_service_leaves_the_commit_to_the_caller(engine: Engine) -> None:
    from safetynet.regions import service

    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        assert service.load_builtin(session=session).new == 103
        assert len(service.children(session=session, code="62")) == 14  # visible inside
        raise RuntimeError("the caller fails")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Region)) == 0
