"""Database engine, declarative base and migrations (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, event, insert, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

__all__ = [
    "Base",
    "bulk_insert",
    "current_revision",
    "make_engine",
    "scratch_schema",
    "session_scope",
    "upgrade",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: the configured database).

    SQLite files get WAL mode and foreign keys; their folder is created if missing.
    """
    if url is None:
        from safetynet.config import get_settings

        url = get_settings().db_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def scratch_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """A new, empty PostgreSQL schema, for tests and benchmarks.

    Yields a URL whose ``search_path`` is that schema; the schema and everything in it is
    dropped afterwards.
    """
    from urllib.parse import quote

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision`` with Alembic."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def bulk_insert(
    conn: Connection, table: Table, rows: list[dict[str, Any]], *, skip_conflicts: bool = False
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in one executemany.

    On SQLite the rows go to the driver as tuples, converted by the columns' own bind
    processors (JSON, dates, numerics stored exactly as SQLAlchemy stores them), skipping
    SQLAlchemy's per-row parameter handling; other databases use SQLAlchemy's bulk insert.
    ``skip_conflicts``: rows that would violate a unique constraint are skipped.
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        if skip_conflicts:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
        else:
            conn.execute(insert(table), rows)
        return
    cols = list(rows[0])
    procs = [table.c[c].type._cached_bind_processor(conn.dialect) for c in cols]
    quote = conn.dialect.identifier_preparer
    sql = (
        f"INSERT INTO {quote.format_table(table)} ({', '.join(quote.quote(c) for c in cols)}) "
        f"VALUES ({', '.join('?' * len(cols))})"
        + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
    )
    conn.exec_driver_sql(
        sql,
        [
            tuple(v if p is None else p(v) for v, p in zip(row.values(), procs, strict=True))
            for row in rows
        ],
    )
