"""Fixtures for the regions tests: the official Gansu files, and re-encoded copies."""

from __future__ import annotations

from pathlib import Path

import pytest

FILES = ["gansu-provinces.csv", "gansu-cities.csv", "gansu-areas.csv", "gansu-streets.csv"]


@pytest.fixture
def official_files(divisions_dir: Path) -> list[Path]:
    """The four official files, townships first (the importer must sort levels itself)."""
    return [divisions_dir / name for name in reversed(FILES)]


@pytest.fixture
def gb18030_files(divisions_dir: Path, tmp_path: Path) -> list[Path]:
    """The same four files saved as GB18030 (as Excel on a Chinese Windows would)."""
    out = []
    for name in FILES:
        text = (divisions_dir / name).read_text(encoding="utf-8-sig")
        path = tmp_path / "gb" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
        out.append(path)
    return out


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
