"""Property-based fuzzing of the JSON-lines tools: random JSON and random bytes on stdin.

Invariants, on every example: the tool exits 0 without an exception, its stdout is valid UTF-8,
and every non-blank input line gets exactly one JSON line (an answer or ``{"error": …}``).
Bounded for the normal suite (``SAFETYNET_FUZZ_EXAMPLES``, default 8 per tool and kind,
always the same examples); ``make fuzz`` runs more, with fresh examples.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safetynet.cli.main import app

pytestmark = pytest.mark.fuzz
runner = CliRunner()
STANDARDS = Path(__file__).resolve().parents[3] / "src/safetynet/standards/data/gansu.csv"
TOOLS = {
    "ids check": ["ids", "check", "-"],
    "calc medical": ["calc", "medical"],
    "calc business": ["calc", "business"],
    "eligibility check": ["eligibility", "check", "--standards", str(STANDARDS)],
}
FUZZ = settings(
    max_examples=int(os.environ.get("SAFETYNET_FUZZ_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize="SAFETYNET_FUZZ_EXAMPLES" not in os.environ,
)
KEYS = ["id", "group", "oop", "year", "major_disease", "dibao_class", "on", "age", "county",
        "urban", "date", "members", "income", "amount", "level"]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e308", "-0", "9" * 5000, "1e-400", "NaN", "Infinity"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=40))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=12,
)


def _line(value: Any) -> str:
    """One JSON line; numbers given as strings above are written as bare JSON numbers."""
    text = json.dumps(value, ensure_ascii=False)
    for raw in ("1e308", "-0", "9" * 5000, "1e-400", "NaN", "Infinity"):
        text = text.replace(f'"{raw}"', raw)
    return text


def _expected_answers(data: bytes) -> int:
    """How many lines must be answered: the non-blank ones, read as the tools read them."""
    count = 0
    for i, raw in enumerate(io.BytesIO(data)):
        if i == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if raw.decode("utf-8", errors="replace").strip():
            count += 1
    return count


def _check(tool: str, data: bytes) -> None:
    result = runner.invoke(app, TOOLS[tool], input=data)
    assert result.exception is None or (
        isinstance(result.exception, SystemExit) and result.exit_code == 0
    ), (tool, data[:300], result.exception)
    out = result.stdout_bytes.decode("utf-8")  # valid UTF-8, or this raises
    lines = out.splitlines()
    assert len(lines) == _expected_answers(data), (tool, data[:300], out[:500])
    for line in lines:
        assert isinstance(json.loads(line), dict)


@pytest.mark.parametrize("tool", sorted(TOOLS))
@FUZZ
@given(values=st.lists(JSON_VALUES, min_size=1, max_size=5))
def test_random_json(tool: str, values: list[Any]) -> None:
    _check(tool, "\n".join(_line(v) for v in values).encode("utf-8", "surrogatepass") + b"\n")


@pytest.mark.parametrize("tool", sorted(TOOLS))
@FUZZ
@given(lines=st.lists(st.binary(max_size=60), min_size=1, max_size=6))
def test_random_bytes(tool: str, lines: list[bytes]) -> None:
    _check(tool, b"\n".join(lines))
