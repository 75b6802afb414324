"""Properties of the pure division-code rules."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safetynet.regions.tree import (
    Level,
    RegionCodeError,
    canonical,
    chain,
    level_of,
    parent_of,
    within,
)


def _spellings(digits: str) -> st.SearchStrategy[str]:
    return st.sampled_from([digits, digits + "0" * (12 - len(digits))])


def _seg(width: int) -> st.SearchStrategy[str]:
    # mostly real-looking segments, sometimes all zeros (levels a code skips)
    return st.one_of(
        st.integers(1, 10**width - 1).map(lambda n: str(n).zfill(width)),
        st.just("0" * width),
    )


@st.composite
def codes(draw: st.DrawFn) -> str:
    """Division codes in any accepted spelling: 2/4/6/9/12 digits, GB/T 2260, zero-padded."""
    province = str(draw(st.integers(11, 99))).zfill(2)
    segments = [province, draw(_seg(2)), draw(_seg(2)), draw(_seg(3)), draw(_seg(3))]
    depth = draw(st.integers(1, 5))
    digits = "".join(segments[:depth])
    return draw(_spellings(digits))


@given(codes())
def test_canonical_is_idempotent(code: str) -> None:
    c = canonical(code)
    assert canonical(c) == c
    assert len(c) in {2, 4, 6, 9, 12}
    assert level_of(code) == Level(len(c))


@given(codes())
def test_within_is_reflexive(code: str) -> None:
    assert within(code, code)


@given(codes(), st.integers(0, 4), st.integers(0, 4))
def test_within_is_transitive(code: str, i: int, j: int) -> None:
    ancestors = chain(code)
    b = ancestors[min(i, len(ancestors) - 1)]
    c = ancestors[min(j, len(ancestors) - 1)]
    a = canonical(code)
    if within(a, b) and within(b, c):
        assert within(a, c)


@given(codes(), codes())
def test_within_means_on_the_chain(a: str, b: str) -> None:
    assert within(a, b) == (canonical(b) in chain(a))
    if within(a, b) and within(b, a):
        assert canonical(a) == canonical(b)


@given(codes())
def test_chain_is_consistent_with_parent_of(code: str) -> None:
    out = chain(code)
    assert out[-1] == canonical(code)
    assert parent_of(out[0]) is None
    assert len(out[0]) == 2
    for upper, lower in pairwise(out):
        assert parent_of(lower) == upper
        assert len(upper) < len(lower)
        assert within(lower, upper)
    assert all(canonical(c) == c for c in out)


def test_gb2260_spellings() -> None:
    assert canonical("620100") == "6201"
    assert canonical("620000") == "62"
    assert canonical("620102001000") == "620102001"
    assert parent_of("620201100") == "620201"  # 嘉峪关's own county-level code
    assert chain("441900003") == ["44", "4419", "441900003"]  # a prefecture without counties


@pytest.mark.parametrize("bad", ["", "6", "62010", "abcdef", "000000", "００６２", "6201 02"])
def test_not_a_code(bad: str) -> None:
    with pytest.raises(RegionCodeError):
        canonical(bad)
