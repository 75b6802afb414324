"""One vocabulary for every package: the codes the registry, feeds, monitoring, policy and synth share.

Each list is stored as English codes in a fixed order; where a Chinese name belongs to a code, a
``dict`` maps code → name (dicts keep their order). Nothing else in the project spells these lists
out: the registry's import lookups, the feed specs' code maps, the scoring parameters' checks, the
calculators and the synthetic province all read them from here. Pure module: no framework.

>>> FEED_SOURCES[0], INDICATORS == FEED_SOURCES
('hospital', True)
>>> CATEGORIES["tekun"], LEVELS[-1], MEDICAL_GROUPS["prone"]
('特困人员', 'red', '易返贫致贫人口')
>>> set(RELAPSE_SUBTYPES) <= set(CATEGORIES)
True
>>> len(SEED_CATEGORIES), OTHER_HARDSHIP in SEED_CATEGORIES, list(CATEGORIES)[-1]
(10, False, 'other_hardship')
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CATEGORIES",
    "DIBAO_CLASSES",
    "DISABILITY_TYPES",
    "ELIGIBILITY_DECISIONS",
    "FEED_SOURCES",
    "FEED_SOURCE_LABELS",
    "IDENTIFICATION_SOURCES",
    "INDICATORS",
    "INDICATOR_LABELS",
    "LEVELS",
    "LEVEL_LABELS",
    "MEDICAL_GROUPS",
    "OTHER_HARDSHIP",
    "RELAPSE_REASONS",
    "RELAPSE_SUBTYPES",
    "SEED_CATEGORIES",
    "UNIVERSITY_LEVELS",
]

#: The monthly department feeds (DOMAIN.md §2), in display order.
FEED_SOURCES: Final[tuple[str, ...]] = (
    "hospital",
    "disease",
    "university",
    "disability",
    "unemployment",
    "relapse",
    "death",
)
#: Short Chinese names of the feeds, as explanations and messages show them.
FEED_SOURCE_LABELS: Final[dict[str, str]] = {
    "hospital": "住院",
    "disease": "慢病/重大疾病",
    "university": "高考录取",
    "disability": "残疾办证",
    "unemployment": "新增失业",
    "relapse": "防返贫监测",
    "death": "死亡",
}
#: Every feed is a warning indicator with its own weight (``monitoring.weights.<indicator>``).
INDICATORS: Final[tuple[str, ...]] = FEED_SOURCES
INDICATOR_LABELS: Final[dict[str, str]] = FEED_SOURCE_LABELS

#: The monitored categories (DOMAIN.md §1), code → Chinese name: the seed's ten, then
#: 其他困难人员 (the seed's "以及其他困难人员"), lowest in priority.
CATEGORIES: Final[dict[str, str]] = {
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
    "other_hardship": "其他困难人员",
}
#: 其他困难人员: a category of its own, counted in statistics on its own line outside the total
#: of the seed's ten categories.
OTHER_HARDSHIP: Final[str] = "other_hardship"
#: The ten categories of the seed's table (4,287,800 people), whose total statistics report.
SEED_CATEGORIES: Final[tuple[str, ...]] = tuple(c for c in CATEGORIES if c != OTHER_HARDSHIP)
#: The three poverty-relapse (防止返贫监测) subtypes, in the order the relapse feed lists them.
RELAPSE_SUBTYPES: Final[tuple[str, ...]] = ("edge_prone", "unstable_lifted", "sudden_hardship")
#: Risk reasons of the poverty-relapse feed (风险类型).
RELAPSE_REASONS: Final[dict[str, str]] = {
    "illness": "因病",
    "disability": "因残",
    "education": "因学",
    "disaster": "因灾",
    "accident": "因意外",
    "unemployment": "因失业",
    "other": "其他",
}

#: How a person came to be identified (认定来源).
IDENTIFICATION_SOURCES: Final[dict[str, str]] = {
    "self_declared": "自主申报",
    "home_visit": "入户摸排",
    "data_match": "数据比对",
    "department_list": "部门名单",
}

#: Disability types of the certificate (残疾类别).
DISABILITY_TYPES: Final[dict[str, str]] = {
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "physical": "肢体",
    "intellectual": "智力",
    "mental": "精神",
    "multiple": "多重",
}

#: Dibao classes (rural 1–4 by depth of need; urban full or differential guarantee).
DIBAO_CLASSES: Final[dict[str, str]] = {
    "rural_1": "农村一类",
    "rural_2": "农村二类",
    "rural_3": "农村三类",
    "rural_4": "农村四类",
    "urban_full": "城市全额",
    "urban_differential": "城市差额",
}

#: Medical-assistance groups (DOMAIN.md §4) in rank order: a person in several takes the first.
#: ``none`` = not a covered group.
MEDICAL_GROUPS: Final[dict[str, str]] = {
    "tekun": "特困人员",
    "dibao": "低保对象",
    "relapsed": "返贫致贫人口",
    "prone": "易返贫致贫人口",
    "transition_lifted": "过渡期内已脱贫人口",
    "dibao_edge": "低保边缘家庭成员",
    "ill_impoverished": "因病致贫重病患者",
    "none": "非救助对象",
}

#: Warning levels, low to high (DOMAIN.md §2).
LEVELS: Final[tuple[str, ...]] = ("blue", "yellow", "orange", "red")
LEVEL_LABELS: Final[dict[str, str]] = {
    "blue": "蓝色",
    "yellow": "黄色",
    "orange": "橙色",
    "red": "红色",
}

#: School levels of the university-admission feed (层次), code → Chinese name.
UNIVERSITY_LEVELS: Final[dict[str, str]] = {
    "undergraduate": "本科",
    "college": "专科",
    "higher_vocational": "高职",
    "secondary": "中职",
}

#: Household eligibility decisions (DOMAIN.md §3a); ``none`` first, so its index 0 means "none"
#: in vectorised code. Tekun is decided per person, beside the household decision.
ELIGIBILITY_DECISIONS: Final[dict[str, str]] = {
    "none": "不符合以上条件",
    "dibao": "低保",
    "dibao_edge": "低保边缘家庭",
    "rigid_expense": "刚性支出困难家庭",
}
