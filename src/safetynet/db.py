"""Database engine, declarative base and migrations (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, MetaData, Numeric, Table, create_engine, event, insert, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

__all__ = [
    "Base",
    "SchemaNotCurrent",
    "bulk_insert",
    "current_revision",
    "head_revision",
    "make_engine",
    "require_current_schema",
    "scratch_schema",
    "unit_of_work",
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
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction owned by the caller: commits once on success, rolls back on any error.

    The edge (a CLI command today, a web request tomorrow) opens it and hands the session to
    service functions (``session=``), which flush but never commit.
    """
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


def _alembic_config(engine: Engine | None) -> Any:
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.attributes["engine"] = engine
    return cfg


class SchemaNotCurrent(RuntimeError):
    """The database schema is missing, behind or ahead of this program (bilingual message)."""


def head_revision() -> str:
    """The newest schema revision this program knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    assert head is not None
    return head


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not at :func:`head_revision`.

    Migration is explicit (``safetynet db upgrade``): nothing else migrates, so a command run
    against an old database stops here with nothing changed.
    """
    from alembic.script import ScriptDirectory

    current = current_revision(engine)
    script = ScriptDirectory.from_config(_alembic_config(None))
    head = script.get_current_head()
    if current == head:
        return
    url = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaNotCurrent(
            f"数据库尚未初始化，请先运行 safetynet db upgrade / the database {url} has no "
            "schema yet: run safetynet db upgrade"
        )
    known = {rev.revision for rev in script.walk_revisions()}
    if current in known:
        raise SchemaNotCurrent(
            f"数据库结构版本 {current} 落后于本程序的 {head}，请先运行 safetynet db upgrade / "
            f"the database {url} is at schema {current}, this program needs {head}: "
            "run safetynet db upgrade"
        )
    raise SchemaNotCurrent(
        f"数据库结构版本 {current} 比本程序新（本程序为 {head}），请更新 safetynet / the database "
        f"{url} is at schema {current}, newer than this program's {head}: update safetynet"
    )


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
    ``skip_conflicts``: rows that would violate a unique constraint are skipped. A date, time
    or number equal (the same object) to the previous row's is converted once (a bulk write
    stamps every row with one timestamp).
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
    procs = [_bind_processor(table.c[c].type, conn.dialect) for c in cols]
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


def _bind_processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for immutable values, one that reuses the last result
    when it is given the same object again."""
    proc = type_._cached_bind_processor(dialect)
    if proc is None or not isinstance(type_, Date | DateTime | Numeric):
        return proc  # type: ignore[no-any-return]
    last: list[Any] = [object(), None]

    def memo(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, proc(value)
        return last[1]

    return memo
