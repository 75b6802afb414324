"""The ingest log and the quarantine in the database: the result of an ingest, the last
non-repeat ingest of a (source, month), a repeat's log row, and the bulk insert of reject rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from safetynet.feeds.models import FeedIngest
from safetynet.feeds.schemas import IngestResult
from safetynet.feeds.validate import REJECT_SCHEMA
from safetynet.inputfiles import visible_array

__all__ = ["insert_rejects", "last_ingest", "log_repeat", "now"]


def now() -> datetime:
    return datetime.now(UTC)


def last_ingest(engine: Engine, source: str, month: str) -> FeedIngest | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(FeedIngest.__table__)
            .where(
                FeedIngest.source == source, FeedIngest.month == month, FeedIngest.repeat.is_(False)
            )
            .order_by(FeedIngest.id.desc())
            .limit(1)
        ).first()
    return FeedIngest(**row._mapping) if row else None


def _stored(col: pa.ChunkedArray, width: int) -> pa.Array:
    """A reject column as stored: at most ``width`` characters, control characters visible."""
    short = pc.utf8_slice_codeunits(col.combine_chunks(), 0, width)
    return pc.utf8_slice_codeunits(visible_array(short), 0, width)


def insert_rejects(conn: Any, rejects: pa.Table, ingest_id: int, source: str, month: str) -> None:
    if not rejects.num_rows:
        return
    # Control characters are stored visible (\xNN): PostgreSQL refuses NUL in text.
    cut = rejects.set_column(
        rejects.schema.get_field_index("value"),
        "value",
        _stored(rejects.column("value"), 500),
    ).set_column(
        rejects.schema.get_field_index("record_id"),
        "record_id",
        _stored(rejects.column("record_id"), 100),
    )
    cols = ["ingest_id", "source", "month", *REJECT_SCHEMA.names]
    fixed = (ingest_id, source, month)

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, cut.num_rows, 50_000):
            data = cut.slice(start, 50_000).to_pydict()
            yield [fixed + r for r in zip(*(data[c] for c in REJECT_SCHEMA.names), strict=True)]

    if conn.dialect.name == "postgresql":  # COPY: the fast path for large quarantines
        copy_sql = f"COPY feed_reject ({', '.join(cols)}) FROM STDIN"
        with conn.connection.driver_connection.cursor() as cur, cur.copy(copy_sql) as cp:
            for rows in chunks():
                for row in rows:
                    cp.write_row(row)
        return
    sql = f"INSERT INTO feed_reject ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    for rows in chunks():
        conn.exec_driver_sql(sql, rows)


def log_repeat(
    engine: Engine, last: FeedIngest, path: Path, actor: str, started: datetime
) -> IngestResult:
    values = {c.name: getattr(last, c.name) for c in FeedIngest.__table__.columns if c.name != "id"}
    values.update(
        file_name=str(path.name)[:500],
        repeat=True,
        repeat_of=last.id,
        actor=actor[:100],
        started_at=started,
        finished_at=now(),
    )
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(FeedIngest).values(**values).returning(FeedIngest.id)
        ).scalar_one()
    return IngestResult(
        id=new_id,
        **{k: v for k, v in values.items() if k not in ("repeat_of", "parameters_version")},
    )
