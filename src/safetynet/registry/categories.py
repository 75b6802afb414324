"""Code lists of the registry: categories, sources, dibao classes, relations, medical groups.

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

#: The 10 monitored categories (DOMAIN.md §1), code → Chinese name.
CATEGORIES: dict[str, str] = {
    "dibao": "低保对象",
    "tekun": "特困人员",
    "dibao_edge": "低保边缘人口",
    "rigid_expense": "刚性支出困难人口",
    "edge_prone": "边缘易致贫户",
    "unstable_lifted": "脱贫不稳定户",
    "sudden_hardship": "突发严重困难户",
    "unemployed": "登记失业人员",
    "disabled": "已登记办证残疾人",
    "ill": "患病住院/慢性病/重大疾病",
}

#: The three poverty-relapse (防止返贫监测) subtypes.
RELAPSE_SUBTYPES = ("edge_prone", "unstable_lifted", "sudden_hardship")

#: How a person came to be identified.
SOURCES: dict[str, str] = {
    "self_declared": "自主申报",
    "home_visit": "入户摸排",
    "data_match": "数据比对",
    "department_list": "部门名单",
}

DIBAO_CLASSES: dict[str, str] = {
    "rural_1": "农村一类",
    "rural_2": "农村二类",
    "rural_3": "农村三类",
    "rural_4": "农村四类",
    "urban_full": "城市全额",
    "urban_differential": "城市差额",
}

DISABILITY_TYPES: dict[str, str] = {
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "physical": "肢体",
    "intellectual": "智力",
    "mental": "精神",
    "multiple": "多重",
}

#: Medical-assistance groups (DOMAIN.md §4); ``none`` = not a covered group.
MEDICAL_GROUPS: dict[str, str] = {
    "tekun": "特困人员",
    "dibao": "低保对象",
    "relapsed": "返贫致贫人口",
    "prone": "易返贫致贫人口",
    "transition_lifted": "过渡期脱贫人口",
    "dibao_edge": "低保边缘人口",
    "ill_impoverished": "因病致贫重病患者",
    "none": "无",
}

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
    "category": {"患病人员": "ill", "患病住院": "ill", "慢性病": "ill", "重大疾病": "ill"},
    "relation": {"户主": "本人", "self": "本人", "head": "本人"},
    "medical_group": {"低保": "dibao", "特困": "tekun", "脱贫人口": "transition_lifted"},
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
