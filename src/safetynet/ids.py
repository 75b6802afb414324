"""Resident identity numbers (居民身份证号码, GB 11643-1999): normalise, validate, extract.

Normalisation comes first: whitespace is removed, full-width characters become ASCII, a
lowercase ``x`` becomes ``X``, and a 15-digit first-generation number becomes 18 digits by
inserting ``19`` after the 6-digit region code and appending the check digit.

Validation then stops at the first failure, in this order:

* ``format``: not 17 digits followed by a digit or ``X``;
* ``birth_date``: not a real date, before 1900-01-01, or after today in Asia/Shanghai;
* ``check_digit``: the ISO 7064 MOD 11-2 check character does not match.

The region code is deliberately *not* checked against today's divisions: people keep the
code of the county where their number was issued, even after that county was merged away.

>>> r = check("11010519491231002x")
>>> r.normalized, r.valid, r.birth_date, r.sex, r.region_code
('11010519491231002X', True, datetime.date(1949, 12, 31), 'F', '110105')
>>> check("110105194912310021").error
'check_digit'
>>> normalize("110105491231002")
'11010519491231002X'

:func:`check_array` does the same for a whole column (pyarrow) and gives identical results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "ERRORS",
    "IdCheck",
    "check",
    "check_array",
    "check_digit",
    "mask",
    "mask_text",
    "normalize",
    "today_in_china",
]

ERRORS = ("format", "birth_date", "check_digit")
IdError = Literal["format", "birth_date", "check_digit"]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_BIRTH = date(1900, 1, 1)
_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
_FIFTEEN = re.compile(r"[0-9]{15}")
# Full-width forms U+FF01..U+FF5E map to ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def today_in_china() -> date:
    """Today's date in Asia/Shanghai, the reference for 'birth date in the future'."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits.

    >>> check_digit("11010519491231002")
    'X'
    """
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def mask(resident_id: str) -> str:
    """The resident ID as shown to people: the middle eight characters (birth date and part of
    the sequence number) hidden. Anything that is not 18 characters is shown as it is.

    >>> mask("11010519491231002X")
    '110105********002X'
    """
    return (
        resident_id[:6] + "********" + resident_id[14:] if len(resident_id) == 18 else resident_id
    )


_ID_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9Xx])")
_ID15_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{6}([0-9]{3})(?![0-9Xx])")


def mask_text(text: str) -> str:
    """``text`` with every resident-ID-shaped run (18 characters, or 15 digits) masked, for
    showing raw values such as a quarantined line.

    >>> mask_text("张三,11010519491231002x,620102")
    '张三,110105********002x,620102'
    >>> mask_text("110105491231002 / 12345678901234567890")
    '110105******002 / 12345678901234567890'
    """
    return _ID15_IN_TEXT.sub(r"\1******\2", _ID_IN_TEXT.sub(r"\1********\2", text))


def _clean(raw: str) -> str:
    """Full-width to ASCII, whitespace removed, lowercase x to X (no length change)."""
    text = raw.translate(_FULLWIDTH)
    return "".join(ch for ch in text if not ch.isspace()).replace("x", "X")


def normalize(raw: str) -> str:
    """The normalised form of ``raw`` (it may still be invalid).

    >>> normalize(" １１０１０５１９４９１２３１００２ｘ ")
    '11010519491231002X'
    """
    text = _clean(raw)
    if len(text) == 15 and _FIFTEEN.fullmatch(text):
        first17 = text[:6] + "19" + text[6:]
        return first17 + check_digit(first17)
    return text


@dataclass(frozen=True, slots=True)
class IdCheck:
    """The outcome of checking one resident ID; details are None unless it is valid."""

    input: str
    normalized: str | None
    valid: bool
    error: IdError | None
    birth_date: date | None
    sex: Literal["M", "F"] | None
    region_code: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON object of the ``safetynet ids check`` contract."""
        return {
            "input": self.input,
            "normalized": self.normalized,
            "valid": self.valid,
            "error": self.error,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "region_code": self.region_code,
        }


def _birth(text: str, today: date) -> date | None:
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
    return born if MIN_BIRTH <= born <= today else None


def check(raw: str, *, today: date | None = None) -> IdCheck:
    """Normalise and validate one resident ID (see the module docstring for the rules)."""
    text = normalize(raw)

    def fail(error: IdError) -> IdCheck:
        return IdCheck(raw, None, False, error, None, None, None)

    if not _FORMAT.fullmatch(text):
        return fail("format")
    born = _birth(text, today or today_in_china())
    if born is None:
        return fail("birth_date")
    if check_digit(text[:17]) != text[17]:
        return fail("check_digit")
    sex: Literal["M", "F"] = "M" if int(text[16]) % 2 else "F"
    return IdCheck(raw, text, True, None, born, sex, text[:6])


def check_array(values: Any, *, today: date | None = None) -> Any:
    """Check a whole column of IDs at once; returns a ``pyarrow.Table``.

    ``values`` is a pyarrow (chunked) array of strings or any sequence of ``str | None``.
    Columns: ``input``, ``normalized``, ``valid``, ``error``, ``birth_date`` (date32),
    ``sex``, ``region_code`` — row for row the same as :func:`check` (a null input is a
    ``format`` error).
    """
    from safetynet._ids_vector import check_array as _impl

    return _impl(values, today=today or today_in_china())
