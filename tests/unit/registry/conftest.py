"""Registry test fixtures."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tests.unit.registry.registry_helpers import insert_regions


@pytest.fixture
def regdb(engine: Engine) -> Engine:
    """A migrated database (SQLite and PostgreSQL) with the tiny division table."""
    insert_regions(engine)
    return engine
