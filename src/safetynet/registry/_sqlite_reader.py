"""Read SQLite query results into Arrow IPC files in a separate process (ADBC SQLite driver).

The ADBC driver decodes rows in C straight into Arrow, an order of magnitude faster than the
DBAPI cursor for millions of rows. It bundles its own SQLite library, and two SQLite libraries
must never open the same database file in one process: POSIX file locks are per process, so each
copy would believe it is alone and could drop the other's locks or delete the WAL it still
uses. The read therefore runs in a child process, like any other reader of the database.

Usage (internal): ``python -m safetynet.registry._sqlite_reader DB OUT_DIR`` with a JSON list
of queries on standard input; writes ``OUT_DIR/<i>.arrow`` for query ``i`` (one read
transaction for all of them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["main"]


def main(db: str, out: Path, queries: list[str]) -> None:
    from urllib.parse import quote

    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    with adbc.connect(f"file:{quote(db)}?mode=ro", autocommit=False) as con, con.cursor() as cur:
        for i, query in enumerate(queries):  # autocommit off: one read transaction
            cur.execute(query)
            reader = cur.fetch_record_batch()
            with (
                pa.OSFile(str(out / f"{i}.arrow"), "wb") as sink,
                pa.ipc.new_file(sink, reader.schema) as writer,
            ):
                for batch in reader:
                    writer.write_batch(batch)
        con.rollback()


if __name__ == "__main__":  # pragma: no cover - exercised through bulkread.read
    main(sys.argv[1], Path(sys.argv[2]), json.load(sys.stdin))
