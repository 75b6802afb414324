"""Money helpers shared by the calculators: integer fen, exact ratios, half-up rounding.

>>> to_fen("25000.5")
2500050
>>> yuan(2500050)
Decimal('25000.50')
>>> mul_round(1, Fraction(7, 10)), mul_round(5, Fraction(1, 10))
(1, 1)
>>> fmt(1234567)
'12,345.67'
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

from safetynet.parameters import ParameterSet, default_parameters

__all__ = ["CalcError", "fmt", "mul_round", "ratio", "shipped", "to_fen", "yuan"]

CENT = Decimal("0.01")


class CalcError(ValueError):
    """An input a calculator cannot use; the message is for the officer (中文 / English)."""


def to_fen(amount: Any, *, field: str = "amount") -> int:
    """Exact yuan amount (int, Decimal or numeric string, ≤ 2 decimals, ≥ 0) → integer fen."""
    if isinstance(amount, bool) or amount is None:
        raise CalcError(f"{field} 必须是金额数字 / must be an amount in yuan, got {amount!r}")
    if isinstance(amount, float):
        amount = repr(amount)
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise CalcError(f"{field} 不是数字 / not a number: {amount!r}") from None
    if not value.is_finite():
        raise CalcError(f"{field} 不是有限数字 / not a finite number: {amount!r}")
    if value < 0:
        raise CalcError(f"{field} 不能为负数 / must not be negative: {amount}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise CalcError(f"{field} 最多两位小数 / at most 2 decimals (fen): {amount}")
    return int(fen)


def yuan(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with exactly two decimals."""
    return (Decimal(fen) / 100).quantize(CENT)


def fmt(fen: int) -> str:
    """Fen as a readable yuan figure with thousands separators."""
    return f"{yuan(fen):,.2f}"


def ratio(value: Decimal | int) -> Fraction:
    """A parameter ratio as an exact fraction (0.7 → 7/10); must lie in [0, 1]."""
    frac = Fraction(Decimal(value))
    if not 0 <= frac <= 1:
        raise CalcError(f"比例参数应在 0 与 1 之间 / ratio must be within [0, 1]: {value}")
    return frac


def mul_round(fen: int, frac: Fraction) -> int:
    """``fen × frac`` rounded half-up to the fen (for fen ≥ 0)."""
    num, den = frac.numerator, frac.denominator
    return (2 * fen * num + den) // (2 * den)


@lru_cache(maxsize=1)
def shipped() -> ParameterSet:
    """The shipped parameter set, loaded once per process."""
    return default_parameters()
