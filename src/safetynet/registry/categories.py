"""Code lists of the registry import: the shared codes plus relations, grades and yes/no.

Each list maps a stored code (English) to its Chinese name; files may use either, and
:func:`lookup_table` gives every accepted spelling for the importer.

>>> CATEGORIES["tekun"]
'特困人员'
>>> parse(CATEGORIES, "低保对象"), parse(CATEGORIES, "dibao"), parse(CATEGORIES, "患病人员")
('dibao', 'dibao', 'ill')
>>> parse(CATEGORIES, "nonsense") is None
True
"""

from __future__ import annotations

from collections.abc import Mapping

from safetynet import codes

__all__ = [
    "ALIASES",
    "CATEGORIES",
    "DIBAO_CLASSES",
    "DISABILITY_TYPES",
    "GRADES",
    "MEDICAL_GROUPS",
    "RELAPSE_SUBTYPES",
    "RELATIONS",
    "SOURCES",
    "URBAN_RURAL",
    "YES_NO",
    "lookup_table",
    "parse",
]

#: The monitored categories, relapse subtypes, identification sources, dibao classes,
#: disability types and medical groups are the project's one vocabulary (:mod:`safetynet.codes`).
CATEGORIES = codes.CATEGORIES
RELAPSE_SUBTYPES = codes.RELAPSE_SUBTYPES
SOURCES = codes.IDENTIFICATION_SOURCES
DIBAO_CLASSES = codes.DIBAO_CLASSES
DISABILITY_TYPES = codes.DISABILITY_TYPES
MEDICAL_GROUPS = codes.MEDICAL_GROUPS

#: Relation to the head of household: stored as the Chinese word (fits String(10)).
RELATIONS: dict[str, str] = {
    "本人": "self",
    "配偶": "spouse",
    "子女": "child",
    "父母": "parent",
    "祖父母": "grandparent",
    "孙子女": "grandchild",
    "兄弟姐妹": "sibling",
    "其他": "other",
}

#: 城乡: True = urban.
URBAN_RURAL: dict[str, bool] = {"城镇": True, "农村": False, "urban": True, "rural": False}

YES_NO: dict[str, bool] = {
    "是": True,
    "否": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}

#: Disability grade 1–4; files may write 1 or 一级.
GRADES: dict[str, int] = {
    **{str(g): g for g in range(1, 5)},
    **{f"{zh}级": g for g, zh in zip(range(1, 5), "一二三四", strict=True)},
    **{zh: g for g, zh in zip(range(1, 5), "一二三四", strict=True)},
}

#: Extra spellings accepted on import, per list.
ALIASES: dict[str, dict[str, str]] = {
    "category": {
        "患病人员": "ill",
        "患病住院": "ill",
        "慢性病": "ill",
        "重大疾病": "ill",
        "其他困难": "other_hardship",
        "其他困难人口": "other_hardship",
    },
    "relation": {"户主": "本人", "self": "本人", "head": "本人"},
    "medical_group": {
        "低保": "dibao",
        "特困": "tekun",
        "脱贫人口": "transition_lifted",
        # the registry template's earlier spellings of three group names
        "过渡期脱贫人口": "transition_lifted",
        "低保边缘人口": "dibao_edge",
        "无": "none",
    },
}


def lookup_table(
    codes: Mapping[str, object], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every accepted spelling (code, Chinese name, alias; lower-cased) → stored code.

    For :data:`RELATIONS` the stored value is the Chinese word and the English code is accepted.

    >>> lookup_table(SOURCES)["入户摸排"]
    'home_visit'
    >>> lookup_table(RELATIONS, ALIASES["relation"])["spouse"]
    '配偶'
    """
    out: dict[str, str] = {}
    for code, name in codes.items():
        out[code.lower()] = code
        if isinstance(name, str):
            out[name.lower()] = code
    for alias, code in (aliases or {}).items():
        out[alias.lower()] = code
    return out


def parse(
    codes: Mapping[str, object], value: str | None, aliases: Mapping[str, str] | None = None
) -> str | None:
    """The stored code for one spelling, or None when it is not on the list.

    >>> parse(RELATIONS, "户主", ALIASES["relation"])
    '本人'
    """
    if value is None:
        return None
    if codes is CATEGORIES and aliases is None:
        aliases = ALIASES["category"]
    return lookup_table(codes, aliases).get(value.strip().lower())
