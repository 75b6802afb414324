"""A real ingest in a child process that stops just before its partition swap.

``python -m tests.unit.feeds.paused_child DB_URL MARKER FILE`` ingests FILE (hospital,
2024-01) with :func:`safetynet.feeds.service.ingest_file`; its ``before_swap`` callback
publishes the temporary partition's path in MARKER (written whole, then renamed) and waits
until the process is killed.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def main(db_url: str, marker: str, path: str) -> None:
    from safetynet.db import make_engine
    from safetynet.feeds.service import ingest_file

    def pause(tmp: Path) -> None:
        staging = Path(f"{marker}.{os.getpid()}.tmp")
        staging.write_text(str(tmp), encoding="utf-8")
        staging.replace(marker)  # a watcher never reads a half-written path
        while True:  # held here until the test kills this process
            signal.pause()

    ingest_file(
        engine=make_engine(db_url),
        source="hospital",
        month="2024-01",
        path=Path(path),
        before_swap=pause,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
