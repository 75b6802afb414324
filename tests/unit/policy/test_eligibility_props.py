"""Property tests: the vectorised eligibility rules (and the pandas peer of the benchmark) equal
the per-household function, with figures drawn at, one fen around, and away from every
threshold of the standard the household falls under."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from benchmarks.peer_pandas_eligibility import decide_pandas
from hypothesis import given, settings
from hypothesis import strategies as st

from safetynet.ids import check_digit
from safetynet.policy.economy import Assets, EconomicRecord, Income, Item, Member, Supporter
from safetynet.policy.eligibility import DECISIONS, decide, limits_for, rules_for
from safetynet.policy.eligibility_vector import decide_vec, prefecture_counts, to_columns
from safetynet.policy.standards import StandardRow, StandardSet

ON = st.sampled_from([date(2024, 6, 30), date(2024, 7, 1), date(2025, 2, 28)])
BIRTH = st.one_of(
    st.sampled_from([date(1964, 6, 30), date(1964, 7, 1), date(2008, 7, 1), date(2009, 2, 28)]),
    st.dates(date(1930, 1, 1), date(2024, 1, 1)),
)
SMALL = st.sampled_from([0, 0, 0, 0, 1, 2])  # counts: mostly within the limits
RARE = st.sampled_from([0, 0, 0, 0, 0, 1])


def _std(
    county: str, urban: bool, dibao: str, valid_from: date = date(2024, 1, 1)
) -> list[StandardRow]:
    figures = {"dibao": dibao, "tekun": str(Decimal(dibao) * Decimal("1.3")), "homes": "1",
               "disposable_income": "40879" if urban else "13131.5", "deposit_multiple": "2.5",
               "vehicle_value": "50000"}  # fmt: skip
    return [StandardRow(county, urban, k, Decimal(v), valid_from, "t") for k, v in figures.items()]


STANDARDS = StandardSet(
    _std("620102", True, "770") + _std("620102", False, "470.01") + _std("620721", True, "690")
    + _std("620721", False, "455") + _std("620102", True, "800.01", date(2024, 7, 1))
)  # fmt: skip


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _near(draw: Any, *limits: int) -> int:
    """A fen figure at a limit, one fen either side, or anywhere up to twice the largest."""
    delta = draw(st.sampled_from([-1, 0, 1]))
    pick = draw(st.sampled_from([*limits, *limits, None]))
    if pick is None:
        return draw(st.integers(0, 2 * max(limits) + 1))
    return max(0, pick + delta)


def _asset(draw: Any, limit: int) -> int:
    """An asset figure: mostly within ``limit`` (none, or at it), sometimes one fen above."""
    return draw(st.sampled_from([0, 0, limit, max(0, limit - 1), limit + 1]))


@st.composite
def _household(draw: Any, start: int, on: date) -> tuple[EconomicRecord, str, bool]:
    county, urban = draw(st.sampled_from(["620102", "620721"])), draw(st.booleans())
    lim = limits_for(STANDARDS.resolve(county, urban, on), rules_for(on))
    n = draw(st.integers(1, 4))
    # the household's counted 12-month income, around each income threshold
    income = _near(draw, 12 * n * lim.dibao, 12 * n * lim.edge, n * lim.disposable_income)
    # members after the first may have their own income around the standard (a tekun
    # candidate's test); the first member has the rest, so the household total stays put
    others = [_near(draw, 12 * lim.dibao) if draw(st.booleans()) else 0 for _ in range(n - 1)]
    incomes = [max(0, income - sum(others)), *others]
    members = []
    for i in range(n):
        first17 = f"62010219900101{start + i:03d}"
        own = incomes[i]
        disregarded = draw(st.sampled_from([0, 0, 1, 5000, own]))
        disregarded = min(disregarded, own)
        members.append(
            Member(
                resident_id=first17 + check_digit(first17),
                birth_date=draw(BIRTH),
                disability_grade=draw(st.one_of(st.none(), st.integers(1, 4))),
                work_capacity=draw(st.booleans()),
                income=Income(wages=_yuan(own), transfers=_yuan(disregarded)),
                disregarded=(Item("dibao_benefit", _yuan(disregarded)),) if disregarded else (),
                own_assets=Assets(
                    deposits=_yuan(_asset(draw, lim.tekun_deposits)),
                    vehicles=draw(RARE),
                    vehicle_value=_yuan(
                        _near(draw, lim.vehicle_value) if draw(st.booleans()) else 0
                    ),
                    homes=draw(RARE),
                    businesses=draw(RARE),
                ),
                supporters=tuple(
                    Supporter(able=a) for a in draw(st.lists(st.booleans(), max_size=2))
                ),
            )
        )
    own = {f: sum(getattr(m.own_assets, f) for m in members) for f in
           ("deposits", "vehicles", "vehicle_value", "homes", "businesses")}  # fmt: skip
    assets = Assets(
        deposits=max(own["deposits"], _yuan(_asset(draw, n * lim.deposits))),
        vehicles=own["vehicles"] + draw(RARE),
        vehicle_value=max(own["vehicle_value"], _yuan(_asset(draw, lim.vehicle_value))),
        homes=own["homes"] + draw(SMALL), businesses=own["businesses"] + draw(RARE),
    )  # fmt: skip
    # rigid expenses leaving (income − rigid) / 12 / n around the after-expense limit
    rigid = max(0, sum(incomes) - _near(draw, 12 * n * lim.after_expense))
    record = EconomicRecord(
        tuple(members), assets, (Item("medical", _yuan(rigid)),) if rigid else ()
    )
    return record, county, urban


@st.composite
def _province(draw: Any) -> tuple[date, list[tuple[EconomicRecord, str, bool]]]:
    on = draw(ON)
    return on, [draw(_household(i * 4, on)) for i in range(draw(st.integers(1, 16)))]


@settings(max_examples=100, deadline=None)
@given(province=_province())
def test_vectorised_and_pandas_equal_per_household(
    province: tuple[date, list[tuple[EconomicRecord, str, bool]]],
) -> None:
    on, rows = province
    hh, mm = to_columns(rows)
    out = decide_vec(hh, mm, STANDARDS, on=on)
    peer_decision, peer_tekun = decide_pandas(
        pd.DataFrame({k: (v.to_pylist() if k == "county" else v) for k, v in hh.items()}),
        pd.DataFrame({k: (v.to_pylist() if k == "birth_date" else v) for k, v in mm.items()}),
        STANDARDS,
        on=on,
    )
    assert peer_decision.tolist() == out["decision"].tolist()
    assert peer_tekun.tolist() == out["tekun"].tolist()
    k = 0
    for i, (record, county, urban) in enumerate(rows):
        one = decide(record, standard=STANDARDS.resolve(county, urban, on), on=on)
        assert DECISIONS[out["decision"][i]] == one.decision
        flags = out["tekun"][k : k + len(record.members)].tolist()
        tekun = [m.resident_id for m, f in zip(record.members, flags, strict=True) if f]
        assert tekun == list(one.tekun_members)
        assert out["tekun_count"][i] == len(one.tekun_members)
        k += len(record.members)
    counts = prefecture_counts(hh["county"], out["decision"], out["tekun_count"])
    assert sum(row[d] for row in counts.values() for d in DECISIONS) == len(rows)
    assert sum(row["tekun_persons"] for row in counts.values()) == int(out["tekun"].sum())
