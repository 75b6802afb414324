"""Division codes and the hierarchy they encode (pure; no database).

Statistical division codes (统计用区划代码) are prefixes of one another: a township
``620102001`` lies in county ``620102``, prefecture ``6201`` and province ``62``. GB/T 2260
writes the upper levels padded to six digits (``620100`` ≡ ``6201``, ``620000`` ≡ ``62``) and
the statistical tables pad everything to twelve; :func:`canonical` maps all of these to the
short form used everywhere in safetynet.

>>> canonical("620100"), canonical("620000"), canonical("620102001000")
('6201', '62', '620102001')
>>> within("620102001", "6201"), within("6202", "6201")
(True, False)
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Level", "RegionCodeError", "canonical", "chain", "level_of", "parent_of", "within"]


class Level(IntEnum):
    """Levels of the tree, by the length of the canonical code."""

    PROVINCE = 2
    PREFECTURE = 4
    COUNTY = 6
    TOWNSHIP = 9
    VILLAGE = 12

    @property
    def zh(self) -> str:
        return {2: "省", 4: "市州", 6: "县市区", 9: "乡镇街道", 12: "村社区"}[self.value]


class RegionCodeError(ValueError):
    """A string that is not a division code."""


_LENGTHS = {2, 4, 6, 9, 12}


def canonical(code: str | int) -> str:
    """The short statistical form of a division code (2, 4, 6, 9 or 12 digits).

    Accepts GB/T 2260 six-digit codes and zero-padded 12-digit codes.

    >>> canonical(620102)
    '620102'
    >>> canonical("62")
    '62'
    """
    text = str(code).strip()
    if not text.isascii() or not text.isdigit() or len(text) not in _LENGTHS:
        raise RegionCodeError(f"{code!r} is not a division code of 2, 4, 6, 9 or 12 digits")
    if len(text) == 12:
        text = text[:9] if text.endswith("000") else text
    if len(text) == 9 and text.endswith("000"):
        text = text[:6]
    if len(text) == 6 and text.endswith("00"):
        text = text[:4]
    if len(text) == 4 and text.endswith("00"):
        text = text[:2]
    if text.startswith("00") or text == "0" * len(text):
        raise RegionCodeError(f"{code!r} is not a division code (no province)")
    return text


def level_of(code: str) -> Level:
    """The level of a canonical code."""
    return Level(len(canonical(code)))


def parent_of(code: str) -> str | None:
    """The canonical parent code, or None for a province.

    A code whose next level up is all zeros hangs directly under the level above that: the
    townships of a prefecture without counties (东莞 ``441900003``) belong to ``4419``.

    >>> parent_of("620102001"), parent_of("62")
    ('620102', None)
    >>> parent_of("441900003"), parent_of("620102000001")
    ('4419', '620102')
    """
    text = canonical(code)
    lengths = sorted(_LENGTHS)
    i = lengths.index(len(text))
    return None if i == 0 else canonical(text[: lengths[i - 1]])


def chain(code: str) -> list[str]:
    """The code and all its ancestors, from the province down.

    >>> chain("620102001")
    ['62', '6201', '620102', '620102001']
    """
    out = [canonical(code)]
    while (parent := parent_of(out[0])) is not None:
        out.insert(0, parent)
    return out


def within(region: str, scope: str) -> bool:
    """Is ``region`` the same as, or inside, ``scope``? The basis of all access control.

    Equivalent to ``canonical(scope) in chain(region)``; in SQL the same test is
    ``safetynet.regions.service.in_scope``.

    >>> within("620102", "620000"), within("620102001", "620102"), within("6201", "620102")
    (True, True, False)
    """
    region_c, scope_c = canonical(region), canonical(scope)
    return region_c.startswith(scope_c)
