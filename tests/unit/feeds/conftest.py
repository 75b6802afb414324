"""Fixtures for the feeds tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.feeds.feeds_data import acceptance_bytes


@pytest.fixture
def acceptance_file(tmp_path: Path) -> Path:
    """The GB18030 hospital file of the acceptance criteria."""
    path = tmp_path / "hospital.csv"
    path.write_bytes(acceptance_bytes())
    return path
