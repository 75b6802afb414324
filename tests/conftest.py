"""Shared fixtures.

``db_url`` / ``engine`` run every database test twice: on a fresh SQLite file and on a fresh
PostgreSQL schema. The PostgreSQL half needs ``SAFETYNET_TEST_DATABASE_URL`` (``make test``
in CI sets it) and is skipped, with that reason, when it is unset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Engine

from safetynet.config import get_settings
from safetynet.db import make_engine, scratch_schema, upgrade

PG_ENV = "SAFETYNET_TEST_DATABASE_URL"

#: Hypothesis profile for CI and ``make test`` (``HYPOTHESIS_PROFILE=ci``): a property never
#: fails for being slow on a loaded machine (no deadline, no too_slow health check), and the
#: examples are derived from each test's name (derandomize), so a failure is reproducible
#: run after run. Example counts stay those of each test. Without the variable, Hypothesis'
#: defaults apply (random examples, 200 ms deadline): developers still see slow properties.
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own SAFETYNET_HOME and fresh settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("SAFETYNET_HOME", str(home))
    for var in ("SAFETYNET_DATABASE_URL", "SAFETYNET_LAKE_DIR", "SAFETYNET_ENV"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def _pg_base() -> str | None:
    url = os.environ.get(PG_ENV)
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, migrated database; the PostgreSQL one lives in its own schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(make_engine(url))
        yield url
        return
    base = _pg_base()
    if not base:
        pytest.skip(f"PostgreSQL half skipped: {PG_ENV} is not set")
    with scratch_schema(base, "t") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def use_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the settings (and so the CLI) at the test database."""
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db_url


@pytest.fixture
def divisions_dir() -> Path:
    """The official Gansu division files in ../shared/data/divisions (skips when absent)."""
    path = SHARED / "data" / "divisions"
    if not (path / "gansu-streets.csv").exists():
        pytest.skip(f"official division files not found at {path}")
    return path


_BACKENDS: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count database tests per backend, so the log shows both ran (or why one did not)."""
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    params = report.nodeid.partition("[")[2].rstrip("]").split("-")
    for backend in ("sqlite", "postgresql"):
        if backend in params:
            counts = _BACKENDS.setdefault(backend, {})
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _BACKENDS:
        return
    terminalreporter.section("database backends")
    for backend, counts in sorted(_BACKENDS.items()):
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        terminalreporter.write_line(f"{backend}: {parts}")
    if PG_ENV not in os.environ:
        terminalreporter.write_line(f"PostgreSQL tests skipped: {PG_ENV} is not set")
