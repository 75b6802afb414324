"""Private scratch folders for big jobs (registry import staging, snapshot reads).

A folder is named ``safetynet-<kind>-<pid>-<host>-<random>`` in the system temporary directory
(``$TMPDIR``), ``<host>`` being a short hash of this machine's host name, and is removed when
the job ends. A job that is killed (``kill -9``, out of memory, power cut) cannot clean up after
itself, and its staging files can be gigabytes, so every new scratch folder first removes the
folders of processes of this host that no longer exist. A folder whose process still runs,
that another host (or container) made in a shared temporary directory, or whose name does not
follow the pattern, is never touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["scratch_dir", "sweep"]

_NAME = re.compile(r"^safetynet-([a-z]+)-([0-9]+)-([0-9a-f]{8})-")


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def sweep(base: Path | None = None) -> list[Path]:
    """Remove scratch folders left behind by processes that are gone; return them."""
    base = Path(base or tempfile.gettempdir())
    host = _host()
    removed = []
    for path in base.glob("safetynet-*"):
        match = _NAME.match(path.name)
        if not match or match.group(3) != host or not path.is_dir():
            continue
        if _alive(int(match.group(2))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@contextmanager
def scratch_dir(kind: str, base: Path | None = None) -> Iterator[Path]:
    """A new private folder for ``kind`` (lowercase letters), removed afterwards."""
    if not re.fullmatch(r"[a-z]+", kind):
        raise ValueError(f"scratch kind must be lowercase letters: {kind!r}")
    sweep(base)
    prefix = f"safetynet-{kind}-{os.getpid()}-{_host()}-"
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
