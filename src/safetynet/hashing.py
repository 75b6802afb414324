"""The one SHA-256-of-a-file helper (feeds, registry imports, snapshots, run inputs, synth).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "x.txt"
...     _ = path.write_bytes(b"abc")
...     file_sha256(path)[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]


def file_sha256(path: Path | str, chunk: int = 8 << 20) -> str:
    """Hex SHA-256 digest of a file's bytes, read in chunks of ``chunk`` bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
