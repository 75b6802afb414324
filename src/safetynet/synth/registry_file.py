"""The registry import file of the synthetic province (headings as ``registry import`` reads)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet import codes
from safetynet.registry.importer import HEADINGS as REGISTRY_HEADINGS
from safetynet.synth._util import choice, labels
from safetynet.synth.population import CAT, RECIPES, REL, Registry
from safetynet.synth.tables import CATEGORY_ZH, PRIORITY

__all__ = ["HEADINGS", "registry_table"]

#: The registry template's headings, in its order (the import's own list).
HEADINGS = list(REGISTRY_HEADINGS.values())

_SOURCES = list(codes.IDENTIFICATION_SOURCES.values())
#: P(source) by category number (0 unused): self-declared, home visit, data match, department list.
_SOURCE_P = {
    "tekun": (0.5, 0.5, 0.0, 0.0), "dibao": (0.6, 0.35, 0.05, 0.0),
    "dibao_edge": (0.4, 0.3, 0.3, 0.0), "rigid_expense": (0.5, 0.2, 0.3, 0.0),
    "sudden_hardship": (0.3, 0.4, 0.1, 0.2), "unstable_lifted": (0.1, 0.3, 0.1, 0.5),
    "edge_prone": (0.1, 0.3, 0.1, 0.5), "disabled": (0.05, 0.05, 0.3, 0.6),
    "ill": (0.1, 0.1, 0.6, 0.2), "unemployed": (0.1, 0.0, 0.3, 0.6),
    "other_hardship": (0.5, 0.5, 0.0, 0.0),
}  # fmt: skip
_DIBAO_URBAN = ["城市全额", "城市差额"]
_DIBAO_RURAL = ["农村一类", "农村二类", "农村三类", "农村四类"]
_DISABILITY = ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]
_RELAPSE = {CAT["edge_prone"], CAT["unstable_lifted"], CAT["sudden_hardship"]}
_EPOCH = np.datetime64("1970-01-01")


def _days(text: str) -> int:
    return int((np.datetime64(text) - _EPOCH).astype(int))


def registry_table(
    rng: np.random.Generator,
    reg: Registry,
    ids: pa.Array,
    names: pa.Array,
    township_code: pa.Array,
    village_code: pa.Array,
    address: pa.Array,
    ref_days: int,
    birth: np.ndarray,
) -> pa.Table:
    """One row per membership, plus one row (empty 类别) per non-monitored household member."""
    plain = np.flatnonzero(reg.cat == 0)
    person = np.concatenate([reg.m_person, plain])
    cat = np.concatenate([reg.m_cat, np.zeros(len(plain), np.int8)])
    order = np.argsort(person, kind="stable")
    person, cat = person[order], cat[order]
    n = len(person)
    hh = reg.hh[person]
    head = np.searchsorted(reg.hh, np.arange(len(reg.hh_size)))  # first person of each household
    monitored = cat > 0
    hh_pick = rng.random(len(reg.hh_size))
    row_pick = rng.random(n)
    whole = np.isin(
        reg.hh_category[hh],
        [CAT[c] for c in PRIORITY if RECIPES[c].whole_household],
    )
    same_household = whole & (cat == reg.hh_category[hh])
    u_from = np.where(same_household, hh_pick[hh], row_pick)

    lo = np.zeros(n, np.int64)
    hi = np.zeros(n, np.int64)
    src = np.zeros(n, dtype=np.int64)
    u_src = rng.random(n)
    for name in PRIORITY:
        sel = cat == CAT[name]
        y0, y1 = RECIPES[name].since
        lo[sel] = _days(f"{y0}-01-01")
        hi[sel] = min(_days(f"{y1}-12-31"), ref_days - 31)
        cdf = np.cumsum(_SOURCE_P[name])
        src[sel] = np.minimum(np.searchsorted(cdf, u_src[sel] * cdf[-1], side="right"), 3)
    valid_from = lo + np.floor(u_from * (hi - lo + 1)).astype(np.int64)
    valid_from = np.maximum(valid_from, birth[person])  # a child enters at birth
    from_text = pc.cast(pa.array(valid_from.astype(np.int32), pa.date32()), pa.string())

    urban = reg.hh_urban[hh]
    is_dibao = cat == CAT["dibao"]
    u_class = hh_pick[hh] * 7 % 1
    dclass = np.where(
        urban,
        (u_class >= 0.3).astype(np.int64),
        2 + np.searchsorted([0.15, 0.40, 0.70], u_class, side="right"),
    )
    is_dis = cat == CAT["disabled"]
    dtype = choice(rng, (0.12, 0.10, 0.02, 0.50, 0.08, 0.10, 0.08), n)
    grade = choice(rng, (0.10, 0.25, 0.35, 0.30), n)
    relapsed = np.isin(cat, list(_RELAPSE)) & (rng.random(n) < 0.12)
    group_set = relapsed & (rng.random(n) < 0.5)
    zero = np.zeros(n, dtype=np.int64)
    cols = {
        "身份证号": ids.take(pa.array(person)),
        "姓名": names.take(pa.array(person)),
        "户主身份证号": ids.take(pa.array(head[hh])),
        "与户主关系": labels(reg.relation[person], REL),
        "乡镇代码": township_code.take(pa.array(hh)),
        "村社区代码": village_code.take(pa.array(hh)),
        "城乡": labels(urban.astype(np.int64), ["农村", "城镇"]),
        "地址": address.take(pa.array(hh)),
        "类别": labels(cat, [""] + [CATEGORY_ZH[c] for c in PRIORITY], monitored),
        "认定日期": pc.if_else(pa.array(monitored), from_text, pa.scalar(None, pa.string())),
        "退出日期": pa.nulls(n, pa.string()),
        "认定来源": labels(src, _SOURCES, monitored),
        "低保类别": labels(dclass, [*_DIBAO_URBAN, *_DIBAO_RURAL], is_dibao),
        "孤儿": labels(
            (reg.orphan[person] & (cat == CAT["tekun"])).astype(np.int64), ["否", "是"], monitored
        ),
        "残疾类别": labels(dtype, _DISABILITY, is_dis),
        "残疾等级": labels(grade, ["1", "2", "3", "4"], is_dis),
        "返贫致贫": labels(relapsed.astype(np.int64), ["否", "是"], monitored),
        "医疗救助类别": labels(zero, ["relapsed"], group_set),
        "迁入日期": pa.nulls(n, pa.string()),
    }
    return pa.table(cols)
