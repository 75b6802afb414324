from __future__ import annotations

import json
from datetime import date, timedelta

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safetynet import ids
from safetynet.cli.main import app

EXAMPLES = {
    "11010519491231002X": ("11010519491231002X", True, None, "1949-12-31", "F", "110105"),
    "11010519491231002x": ("11010519491231002X", True, None, "1949-12-31", "F", "110105"),
    "110105491231002": ("11010519491231002X", True, None, "1949-12-31", "F", "110105"),
    "110105194912310021": (None, False, "check_digit", None, None, None),
    "110105194902300021": (None, False, "birth_date", None, None, None),
    "11010519491231": (None, False, "format", None, None, None),
}
FIELDS = ("normalized", "valid", "error", "birth_date", "sex", "region_code")


@pytest.mark.parametrize(("raw", "expected"), EXAMPLES.items())
def test_issue_examples(raw, expected):
    got = ids.check(raw).as_json()
    assert tuple(got[f] for f in FIELDS) == expected
    assert got["input"] == raw


def test_full_width_and_spaces_normalise_like_ascii():
    assert ids.check("１１０１０５ １９４９１２３１００２ｘ").as_json()["normalized"] == (
        "11010519491231002X"
    )
    assert ids.check("\u3000110105 19491231 002X\t").valid


def with_check(first17: str) -> str:
    return first17 + ids.check_digit(first17)


def test_birth_date_bounds():
    today = date(2026, 11, 29)
    assert ids.check(with_check("11010519000101001"), today=today).valid
    assert ids.check(with_check("11010518991231001"), today=today).error == "birth_date"
    assert ids.check(with_check("11010520261129001"), today=today).valid
    assert ids.check(with_check("11010520261130001"), today=today).error == "birth_date"
    assert ids.check(with_check("11010520000229001"), today=today).valid
    assert ids.check(with_check("11010519000229001"), today=today).error == "birth_date"


def test_format_wins_over_other_errors():
    assert ids.check("11010519491231002Y").error == "format"
    assert ids.check("X10105194912310021").error == "format"
    assert ids.check("").error == "format"
    assert ids.check("1101051949123100２").error == "format"  # 17 characters


def test_old_region_codes_are_not_rejected():
    # 622421 (定西地区 定西县) no longer exists as a division code; the ID stays valid.
    raw = with_check("62242119800101001")
    assert ids.check(raw).valid
    assert ids.check(raw).region_code == "622421"


def test_sex_from_17th_digit():
    assert ids.check(with_check("11010519800101001")).sex == "M"
    assert ids.check(with_check("11010519800101002")).sex == "F"


# --- vectorised parity -------------------------------------------------------------------

digits = st.text(alphabet="0123456789", min_size=17, max_size=17)


@st.composite
def id_like(draw):
    """Mostly plausible IDs with the kinds of damage real files have."""
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return draw(st.text(alphabet="0123456789xX ＸＸ１２３\u3000\tabc-", max_size=20))
    born = draw(st.dates(date(1890, 1, 1), date(2030, 12, 31)))
    head = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    first17 = f"{head}{born:%Y%m%d}{seq}"
    if kind == 1:  # 15-digit first generation
        return f"{head}{born:%y%m%d}{seq}"
    if kind == 2:  # wrong check digit
        return first17 + draw(st.sampled_from("0123456789X"))
    if kind == 3:  # full width
        return with_check(first17).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    if kind == 4:  # impossible date text
        return with_check(head + draw(digits)[:8] + seq)
    if kind == 5:
        return " " + with_check(first17).lower() + " "
    return with_check(first17)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(id_like(), st.none()), max_size=40))
def test_vectorised_equals_scalar(values):
    today = date(2026, 11, 29)
    table = ids.check_array(pa.array(values, type=pa.string()), today=today)
    assert table.num_rows == len(values)
    for raw, row in zip(values, table.to_pylist(), strict=True):
        if raw is None:
            assert row["error"] == "format" and row["valid"] is False
            continue
        expected = ids.check(raw, today=today)
        assert row == {
            "input": raw,
            "normalized": expected.normalized,
            "valid": expected.valid,
            "error": expected.error,
            "birth_date": expected.birth_date,
            "sex": expected.sex,
            "region_code": expected.region_code,
        }


def test_vectorised_accepts_chunked_and_lists():
    chunked = pa.chunked_array([["11010519491231002X"], ["110105491231002", None]])
    assert ids.check_array(chunked).column("valid").to_pylist() == [True, True, False]
    assert ids.check_array(["110105194912310021"]).column("error").to_pylist() == ["check_digit"]


def test_vectorised_today_boundary():
    today = date.today()
    born = today + timedelta(days=1)
    raw = with_check(f"110105{born:%Y%m%d}001")
    assert ids.check_array([raw], today=today).column("error").to_pylist() == ["birth_date"]


# --- CLI contract ------------------------------------------------------------------------

runner = CliRunner()


def test_cli_check_arguments_exact_contract():
    result = runner.invoke(app, ["ids", "check", *EXAMPLES])
    assert result.exit_code == 0
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [tuple(r[f] for f in FIELDS) for r in lines] == list(EXAMPLES.values())
    assert all(
        set(r) == {"input", "normalized", "valid", "error", "birth_date", "sex", "region_code"}
        for r in lines
    )


def test_cli_check_stdin_skips_blank_lines():
    stdin = "11010519491231002x\n\n  \n１１０１０５４９１２３１００２\n110105194912310021\n"
    result = runner.invoke(app, ["ids", "check", "-"], input=stdin)
    assert result.exit_code == 0
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["valid"] for r in rows] == [True, True, False]
    assert rows[1]["normalized"] == "11010519491231002X"
    assert rows[1]["input"] == "１１０１０５４９１２３１００２"
