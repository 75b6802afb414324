"""Alembic environment: the engine comes from ``safetynet.db.upgrade`` (or the settings)."""

from __future__ import annotations

from alembic import context

from safetynet.db import Base, make_engine
from safetynet.models import load_all

load_all()
config = context.config
engine = config.attributes.get("engine") or make_engine()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
