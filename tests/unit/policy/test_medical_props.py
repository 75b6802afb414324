"""Property tests: medical assistance invariants, per-claim vs annual, vectorised vs per case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from safetynet.policy import medical
from safetynet.policy.medical_vector import annual_vec, premium_vec

FEN = st.integers(min_value=0, max_value=50_000_000)  # up to 500,000 yuan
GROUP = st.sampled_from(medical.GROUPS)
CLASS = st.one_of(st.none(), st.sampled_from(medical.DIBAO_CLASSES))


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


@settings(deadline=None)
@given(group=GROUP, fen=FEN, major=st.booleans(), dibao_class=CLASS)
def test_annual_invariants(group: str, fen: int, major: bool, dibao_class: str | None) -> None:
    r = medical.annual(
        group=group, oop=_yuan(fen), year=2024, major_disease=major, dibao_class=dibao_class
    )
    assert r.self_pay + r.assistance + r.second_round == _yuan(fen)
    assert min(r.self_pay, r.assistance, r.second_round) >= 0
    assert r.assistance <= (80000 if major else 50000)
    if r.premium_subsidy is not None:
        assert 0 <= r.premium_subsidy <= 380
    else:
        assert group == "dibao" and dibao_class is None
    if group == "none":
        assert r.assistance == r.second_round == 0
    if r.second_round:
        assert r.self_pay + r.second_round > 6000  # only above the threshold


@settings(deadline=None)
@given(group=GROUP, claims=st.lists(FEN, min_size=1, max_size=6), major=st.booleans())
def test_claims_add_up_to_annual(group: str, claims: list[int], major: bool) -> None:
    ytd = None
    for i, fen in enumerate(claims):
        res = medical.settle_claim(
            group=group, oop=_yuan(fen), on=date(2024, 1 + i, 1), ytd=ytd, major_disease=major
        )
        assert res.self_pay + res.assistance + res.second_round == _yuan(fen)
        assert min(res.self_pay, res.assistance, res.second_round) >= 0
        ytd = res.ytd
    assert ytd is not None
    assert ytd.assistance <= (80000 if major else 50000)
    assert ytd.oop == ytd.assistance + ytd.second_round + ytd.self_pay
    year = medical.annual(group=group, oop=ytd.oop, year=2024, major_disease=major)
    # assistance is rounded per claim: at most one fen per claim away from the annual figure
    assert abs(ytd.assistance - year.assistance) <= Decimal("0.01") * len(claims)
    if group != "ill_impoverished" or ytd.oop >= 5000:
        assert abs(ytd.self_pay - year.self_pay) <= Decimal("0.01") * len(claims)


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(st.tuples(GROUP, CLASS, FEN, st.booleans()), min_size=1, max_size=40),
    year=st.sampled_from([2024, 2025]),
)
def test_vectorised_equals_per_case(
    rows: list[tuple[str, str | None, int, bool]], year: int
) -> None:
    groups = [r[0] for r in rows]
    classes = [r[1] for r in rows]
    oop = np.array([r[2] for r in rows], dtype=np.int64)
    major = np.array([r[3] for r in rows])
    out = annual_vec(groups, oop, major, year=year)
    codes = np.array([medical.GROUPS.index(g) for g in groups], dtype=np.int8)
    out_codes = annual_vec(codes, oop, major, year=year)
    amount, known = premium_vec(groups, classes, year=year)
    encoded = pa.array(classes, pa.string()).dictionary_encode()
    amount_dict, known_dict = premium_vec(codes, encoded, year=year)
    assert amount_dict.tolist() == amount.tolist() and known_dict.tolist() == known.tolist()
    for i, (group, dibao_class, fen, is_major) in enumerate(rows):
        one = medical.annual(
            group=group, oop=_yuan(fen), year=year, major_disease=is_major, dibao_class=dibao_class
        )
        assert _yuan(int(out["assistance"][i])) == one.assistance
        assert _yuan(int(out["second_round"][i])) == one.second_round
        assert _yuan(int(out["self_pay"][i])) == one.self_pay
        assert int(out_codes["self_pay"][i]) == int(out["self_pay"][i])
        if one.premium_subsidy is None:
            assert not known[i]
        else:
            assert known[i] and _yuan(int(amount[i])) == one.premium_subsidy
