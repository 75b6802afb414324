"""Fixed tables behind the synthetic province: category counts, name pools, codes, schools.

Counts are the seed figures of the Gansu press conference (DOMAIN.md §1); the 501,000
poverty-relapse people are split 40/40/20 across edge_prone, unstable_lifted and sudden_hardship,
and 其他困难人员 (other_hardship, not in the seed's table) are added as 0.5 % of the seed's total
on top of it (both our own assumptions, documented in docs/synthetic.md).

>>> sum(CATEGORY_COUNTS[c] for c in codes.SEED_CATEGORIES)
4287800
>>> CATEGORY_COUNTS["other_hardship"]
21400
>>> round(sum(CATEGORY_COUNTS[c] for c in codes.SEED_CATEGORIES) / PROVINCE_POPULATION * 100, 2)
17.39
"""

from __future__ import annotations

from safetynet import codes
from safetynet.registry.rules import DEFAULT_PRIORITY

__all__ = [
    "CATEGORIES",
    "CATEGORY_COUNTS",
    "CATEGORY_ZH",
    "DISABILITY_TYPES",
    "FEMALE_CHARS",
    "ICD_DISEASE",
    "ICD_HOSPITAL",
    "MALE_CHARS",
    "MONTHLY_VOLUME",
    "PRIORITY",
    "PROVINCE_POPULATION",
    "RELAPSE_REASONS",
    "RELAPSE_SUBTYPES",
    "SCHOOLS",
    "SURNAMES",
    "UNIVERSITY_PER_YEAR",
]

PROVINCE_POPULATION = 24_660_000

#: Primary-category priority (the registry default); index + 1 is the category's number code.
PRIORITY = DEFAULT_PRIORITY
CATEGORIES = PRIORITY

CATEGORY_COUNTS = {
    "tekun": 101_700,
    "dibao": 1_900_600,
    "dibao_edge": 292_300,
    "rigid_expense": 184_300,
    "sudden_hardship": 100_200,  # 20 % of 501,000
    "unstable_lifted": 200_400,  # 40 %
    "edge_prone": 200_400,  # 40 %
    "disabled": 857_800,
    "ill": 433_500,
    "unemployed": 16_600,
    # not in the seed's table: ≈ 0.5 % of its 4,287,800, outside its total
    "other_hardship": 21_400,
}

CATEGORY_ZH = codes.CATEGORIES

#: Rows per month at scale 1.0 (university: per year, July and August only).
MONTHLY_VOLUME = {
    "hospital": 400_000,
    "disease": 40_000,
    "disability": 8_000,
    "unemployment": 12_000,
    "relapse": 5_000,
    "death": 15_000,
}
UNIVERSITY_PER_YEAR = 200_000

#: The most frequent surnames in north-west China with rough relative frequencies (per mille);
#: 马 is far more common in Gansu (Hui and Dongxiang communities) than nationally.
# fmt: off
SURNAMES = (
    ("王", 75), ("李", 70), ("张", 65), ("刘", 48), ("陈", 30), ("杨", 40), ("马", 38),
    ("赵", 24), ("黄", 10), ("周", 12), ("吴", 10), ("徐", 9), ("孙", 12), ("胡", 12),
    ("朱", 10), ("高", 12), ("林", 4), ("何", 9), ("郭", 14), ("罗", 7), ("梁", 8),
    ("宋", 8), ("郑", 6), ("谢", 5), ("韩", 9), ("唐", 5), ("冯", 7), ("于", 5),
    ("董", 9), ("萧", 2), ("程", 6), ("曹", 7), ("袁", 5), ("邓", 4), ("许", 5),
    ("傅", 3), ("沈", 3), ("曾", 2), ("彭", 3), ("吕", 5), ("苏", 6), ("卢", 4),
    ("蒋", 3), ("蔡", 3), ("贾", 6), ("丁", 5), ("魏", 7), ("薛", 5), ("叶", 3),
    ("阎", 4), ("余", 4), ("潘", 4), ("杜", 5), ("戴", 2), ("夏", 3), ("钟", 2),
    ("汪", 4), ("田", 6), ("任", 6), ("姜", 4), ("范", 4), ("方", 3), ("石", 5),
    ("姚", 4), ("谭", 2), ("廖", 2), ("邹", 2), ("熊", 2), ("金", 3), ("陆", 2),
    ("郝", 4), ("孔", 3), ("白", 5), ("崔", 4), ("康", 4), ("毛", 3), ("邱", 2),
    ("秦", 4), ("江", 2), ("史", 4), ("顾", 2), ("侯", 4), ("邵", 2), ("孟", 3),
    ("龙", 2), ("万", 2), ("段", 4), ("雷", 3), ("钱", 2), ("汤", 2), ("尹", 2),
    ("黎", 1), ("易", 1), ("常", 4), ("武", 4), ("乔", 3), ("贺", 3), ("赖", 1),
    ("龚", 1), ("文", 2), ("牛", 4), ("安", 4), ("蒲", 3), ("祁", 2), ("包", 2),
    ("喇", 1), ("满", 1), ("冶", 1), ("妥", 1), ("火", 1), ("把", 1), ("令狐", 1),
)
# fmt: on

MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新"
    "利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐"
    "绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽"
    "晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香"
    "月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓"
    "纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥"
)

#: Hospital diagnoses (ICD-10, relative weight); chronic and major ones dominate costs.
# fmt: off
ICD_HOSPITAL = (
    ("I63.9", 9), ("J18.9", 9), ("I10", 7), ("E11.9", 5), ("J44.9", 6), ("I25.1", 5),
    ("K29.7", 4), ("K80.2", 3), ("M17.9", 3), ("S72.0", 2), ("O80", 5), ("C34.9", 2),
    ("C16.9", 1), ("C22.0", 1), ("N18.5", 2), ("I50.9", 3), ("J06.9", 4), ("K35.8", 2),
    ("N20.0", 2), ("H25.9", 3), ("I61.9", 1), ("F20.9", 1), ("A15.0", 1), ("Z51.1", 2),
)

#: Chronic and major disease registrations: (ICD-10, name, weight).
ICD_DISEASE = (
    ("I10", "高血压", 30), ("E11.9", "2型糖尿病", 20), ("J44.9", "慢性阻塞性肺疾病", 8),
    ("I25.1", "冠心病", 8), ("I63.9", "脑梗死后遗症", 6), ("N18.5", "尿毒症", 3),
    ("C34.9", "肺恶性肿瘤", 3), ("C16.9", "胃恶性肿瘤", 3), ("C50.9", "乳腺恶性肿瘤", 2),
    ("C22.0", "肝恶性肿瘤", 2), ("F20.9", "精神分裂症", 3), ("A15.0", "肺结核", 2),
    ("B18.1", "慢性乙型肝炎", 3), ("M05.9", "类风湿关节炎", 2), ("I50.9", "心力衰竭", 3),
    ("G40.9", "癫痫", 1), ("D61.9", "再生障碍性贫血", 1),
)

#: The Chinese names the department files write, in the order of :mod:`safetynet.codes`.
DISABILITY_TYPES = tuple(codes.DISABILITY_TYPES.values())
RELAPSE_SUBTYPES = tuple(codes.CATEGORIES[c] for c in codes.RELAPSE_SUBTYPES)
RELAPSE_REASONS = tuple(codes.RELAPSE_REASONS.values())

#: (school, level, relative weight); levels use the Chinese names of the feed contract.
SCHOOLS = (
    ("兰州大学", "本科", 6), ("西北师范大学", "本科", 8), ("兰州理工大学", "本科", 6),
    ("兰州交通大学", "本科", 6), ("甘肃农业大学", "本科", 5), ("西北民族大学", "本科", 4),
    ("兰州财经大学", "本科", 4), ("甘肃政法大学", "本科", 3), ("天水师范学院", "本科", 4),
    ("陇东学院", "本科", 4), ("河西学院", "本科", 4), ("兰州城市学院", "本科", 4),
    ("甘肃中医药大学", "本科", 3), ("兰州文理学院", "本科", 3), ("西安交通大学", "本科", 1),
    ("四川大学", "本科", 1), ("西北工业大学", "本科", 1), ("陕西师范大学", "本科", 2),
    ("兰州石化职业技术大学", "本科", 2), ("兰州职业技术学院", "高职", 5),
    ("甘肃林业职业技术学院", "高职", 3), ("甘肃建筑职业技术学院", "高职", 3),
    ("酒泉职业技术学院", "高职", 3), ("武威职业学院", "高职", 3), ("兰州资源环境职业技术大学", "高职", 3),
    ("甘肃卫生职业学院", "专科", 3), ("平凉职业技术学院", "专科", 2), ("陇南师范高等专科学校", "专科", 3),
    ("定西师范高等专科学校", "专科", 3), ("甘肃畜牧工程职业技术学院", "专科", 2),
    ("兰州市理工中等专业学校", "中职", 3), ("甘肃省商业学校", "中职", 2), ("临夏州职业技术学校", "中职", 2),
)
# fmt: on
