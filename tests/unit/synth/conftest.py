"""A tiny synthetic province built once per test session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safetynet.synth.generate import SynthParams, generate

TINY = SynthParams(scale=0.002, seed=11, months=3, start="2024-06")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("synth") / "province"
    generate(TINY, out)
    return out, json.loads((out / "manifest.json").read_text("utf-8"))
