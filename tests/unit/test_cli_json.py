"""Money stays exact on the wire: JSON amounts come from Decimal, never through a float."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from safetynet.cli._common import dumps
from safetynet.cli.main import app

#: A float would print this as 99999999999999.98 (the nearest double is …99.984375).
BIG = Decimal("99999999999999.99")


def test_a_large_amount_is_written_exactly() -> None:
    text = dumps({"subsidy": BIG, "on": date(2024, 6, 30), "people": 3})
    assert text == '{"subsidy": 99999999999999.99, "on": "2024-06-30", "people": 3}'
    assert json.loads(text, parse_float=Decimal)["subsidy"] == BIG


@given(fen=st.integers(min_value=-(10**17), max_value=10**17))
def test_every_amount_in_fen_round_trips(fen: int) -> None:
    amount = Decimal(fen).scaleb(-2)
    text = dumps([amount, {"nested": amount}])
    back = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    assert back == [amount, {"nested": amount}]
    number = text[1:].split(",")[0]
    assert "e" not in number.lower() and len(number.partition(".")[2]) <= 2


def test_strings_that_look_like_placeholders_stay_strings() -> None:
    assert json.loads(dumps({"a": "0123456789abcdef:1.5", "b": Decimal("1.5")})) == {
        "a": "0123456789abcdef:1.5",
        "b": 1.5,
    }


def test_calc_medical_prints_the_exact_self_pay() -> None:
    line = '{"group": "none", "oop": 99999999999999.99, "major_disease": false, "year": 2024}\n'
    result = CliRunner().invoke(app, ["calc", "medical"], input=line)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout, parse_float=Decimal)
    assert out["self_pay"] == BIG
    assert '"self_pay": 99999999999999.99,' in result.stdout
