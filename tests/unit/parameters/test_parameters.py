from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetynet.parameters import (
    ParameterError,
    ParameterSet,
    default_parameters,
    load_parameters,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
description: Medical assistance
contribution:
  description: Individual contribution to resident medical insurance
  unit: currency-CNY
  reference: 2024 contribution notice
  values:
    2024-01-01: 380
    2025-01-01: 400
ratio:
  tekun:
    unit: /1
    values:
      2024-01-01: 1.0
  dibao:
    unit: /1
    values:
      2024-01-01: {value: 0.7, reference: seed}
ended:
  values:
    2024-01-01: 5
    2024-07-01: null
"""


def test_load_and_lookup(tmp_path):
    ps = load_parameters(write(tmp_path, "med.yaml", GOOD))
    assert ps.get("med.contribution", date(2024, 12, 31)) == 380
    assert ps.get("med.contribution", "2025-01-01") == 400
    assert ps.number("med.ratio.dibao", "2024-05-01") == Decimal("0.7")
    assert ps.children("med.ratio", "2024-05-01") == {
        "tekun": Decimal("1.0"),
        "dibao": Decimal("0.7"),
    }
    assert ps.parameter("med.contribution").reference == "2024 contribution notice"
    with pytest.raises(ParameterError, match="no value before 2024-01-01"):
        ps.get("med.contribution", "2023-12-31")
    with pytest.raises(ParameterError, match="ended"):
        ps.get("med.ended", "2024-08-01")
    with pytest.raises(ParameterError, match="unknown parameter"):
        ps.get("med.nothing", "2024-08-01")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x:\n  values:\n    2024-01-01: 1\n  colour: red\n", r"med.yaml: med.x: unknown key"),
        (
            "x:\n  values:\n    2025-01-01: 1\n    2024-01-01: 2\n",
            r"med.x: date 2024-01-01 is out of order",
        ),
        ("x:\n  values:\n    2024-01-01: 1\n    2024-01-01: 2\n", r"med.yaml: duplicate key"),
        (
            "x:\n  unit: currency-CNY\n  values:\n    2024-01-01: abc\n",
            r"med.x: unit currency-CNY needs numbers",
        ),
        ("x:\n  values:\n    2024-01-01: 1\n    2025-01-01: abc\n", r"med.x: values mix types"),
        ("x:\n  values:\n    yesterday: 1\n", r"med.x: 'yesterday' is not a date"),
        ("x: 5\n", r"med.yaml: med: unknown key 'x'"),
        ("x:\n  values: [1, 2]\n", r"'values' must map dates"),
        ("x: [unclosed\n", r"not valid YAML"),
    ],
)
def test_loud_errors_name_file_and_key(tmp_path, text, message):
    with pytest.raises(ParameterError, match=message):
        load_parameters(write(tmp_path, "med.yaml", text))


def test_version_is_a_content_hash(tmp_path):
    """Wording (comments, descriptions, references) leaves the version alone; a value, date
    or unit changes it."""
    a = load_parameters(write(tmp_path, "med.yaml", GOOD))
    reworded = "# reworded copy\n" + GOOD.replace(
        "Individual contribution", "The individual contribution"
    ).replace("reference: 2024 contribution notice", "reference: notice of 2024")
    assert reworded.count("notice of 2024") == 1 and "The individual" in reworded
    b = load_parameters(write(tmp_path, "med.yaml", reworded))
    assert b.parameter("med.contribution").reference == "notice of 2024"
    assert a.version == b.version and len(a.version) == 16
    for old, new in (("400", "401"), ("2025-01-01", "2025-02-01"), ("currency-CNY", "/1")):
        assert GOOD.count(old) == 1
        c = load_parameters(write(tmp_path, "med.yaml", GOOD.replace(old, new)))
        assert c.version != a.version, new


def test_later_files_override_and_merge(tmp_path):
    base = load_parameters(write(tmp_path, "med.yaml", GOOD))
    override_dir = tmp_path / "o"
    override_dir.mkdir()
    extra = load_parameters(
        write(override_dir, "med.yaml", "contribution:\n  values:\n    2024-01-01: 999\n")
    )
    merged = base.merged(extra)
    assert merged.get("med.contribution", "2025-06-01") == 999
    assert merged.get("med.ratio.tekun", "2025-06-01") == Decimal("1.0")
    assert merged.version != base.version


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(ParameterError, match="no such parameter file"):
        load_parameters(tmp_path / "absent.yaml")


def test_shipped_parameters_load():
    ps = default_parameters()
    assert ps.version
    for path in ps.paths():
        param = ps.parameter(path)
        assert param.reference, f"{path} has no reference"


@given(
    st.lists(st.dates(date(2000, 1, 1), date(2040, 1, 1)), min_size=1, max_size=6, unique=True),
    st.dates(date(1999, 1, 1), date(2041, 1, 1)),
)
def test_lookup_returns_the_latest_value_in_force(days, on):
    days = sorted(days)
    ps = ParameterSet.from_mapping({"p": {"x": {"values": {d: i for i, d in enumerate(days)}}}})
    in_force = [i for i, d in enumerate(days) if d <= on]
    if not in_force:
        with pytest.raises(ParameterError):
            ps.get("p.x", on)
    else:
        assert ps.get("p.x", on) == in_force[-1]
