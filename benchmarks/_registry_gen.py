"""A fast numpy generator of registry files for the registry-import benchmark.

Used when ``safetynet synth`` is not available; writes the COMMON.md registry format
(Chinese headings) as Parquet, plus the township codes it uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["PRIMARY", "make_registry", "township_rows"]

#: Monitored people by primary category at scale 1.0 (DOMAIN.md; relapse split 40/40/20).
PRIMARY = {
    "dibao": 1_900_600, "tekun": 101_700, "dibao_edge": 292_300, "rigid_expense": 184_300,
    "edge_prone": 200_400, "unstable_lifted": 200_400, "sudden_hardship": 100_200,
    "unemployed": 16_600, "disabled": 857_800, "ill": 433_500,
}  # fmt: skip
_W = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
_CHK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def township_rows(
    n_pref: int = 14, n_county: int = 6, n_town: int = 16
) -> list[tuple[str, str, int, str | None]]:
    rows: list[tuple[str, str, int, str | None]] = [("62", "甘肃省", 2, None)]
    for p in range(1, n_pref + 1):
        pc_ = f"62{p:02d}"
        rows.append((pc_, f"市{p}（模拟）", 4, "62"))
        for c in range(1, n_county + 1):
            cc = f"{pc_}{c:02d}"
            rows.append((cc, f"县{p}-{c}（模拟）", 6, pc_))
            for t in range(1, n_town + 1):
                rows.append((f"{cc}{900 + t}", f"镇{p}-{c}-{t}（模拟）", 9, cc))
    return rows


def _strings(mat: np.ndarray) -> pa.Array:
    n, width = mat.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32).tobytes())
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(mat.tobytes())])


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((len(values), width), dtype=np.uint8)
    v = values.astype(np.int64).copy()
    for i in range(width - 1, -1, -1):
        out[:, i] = 48 + v % 10
        v //= 10
    return out


def make_registry(out: Path, scale: float, seed: int = 1) -> tuple[Path, int]:
    """Write ``out`` (Parquet); return it and the number of rows."""
    rng = np.random.default_rng(seed)
    towns = [r[0] for r in township_rows() if r[2] == 9]
    town_arr = np.array([int(t) for t in towns], dtype=np.int64)
    counts = {k: max(1, round(v * scale)) for k, v in PRIMARY.items()}
    cats = np.repeat(np.array(list(counts)), list(counts.values()))
    rng.shuffle(cats)
    n_mon = len(cats)
    # Households: each monitored person heads or joins one; extra non-monitored members.
    n_house = int(n_mon * 0.55)
    house_of_mon = np.concatenate([np.arange(n_house), rng.integers(0, n_house, n_mon - n_house)])
    extra = rng.poisson(1.3, n_house)
    house_of_extra = np.repeat(np.arange(n_house), extra)
    house = np.concatenate([house_of_mon, house_of_extra])
    pcat = np.concatenate([cats, np.full(len(house_of_extra), "", dtype=cats.dtype)])
    order = np.argsort(house, kind="stable")
    house, pcat = house[order], pcat[order]
    n = len(house)
    first = np.r_[True, house[1:] != house[:-1]]  # first member of each household = head
    town_of_house = town_arr[rng.integers(0, len(town_arr), n_house)]
    county = town_of_house[house] // 1000
    birth_days = rng.integers(-20000, 19000, n)  # ~1915..2022
    birth = np.datetime64("1970-01-01") + birth_days.astype("timedelta64[D]")
    ymd = birth.astype("datetime64[D]").astype(str)
    ymd_int = np.char.replace(ymd, "-", "").astype(np.int64)
    key = county * 100_000_000 + ymd_int
    o = np.argsort(key, kind="stable")
    ks = key[o]
    start = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1]
    rank = np.arange(n) - np.repeat(start, np.diff(np.r_[start, n]))
    seq = np.empty(n, dtype=np.int64)
    seq[o] = rank % 1000
    mat = np.empty((n, 18), dtype=np.uint8)
    mat[:, :6] = _digits(county, 6)
    mat[:, 6:14] = _digits(ymd_int, 8)
    mat[:, 14:17] = _digits(seq, 3)
    mat[:, 17] = _CHK[((mat[:, :17].astype(np.int64) - 48) @ _W) % 11]
    ids = _strings(mat)
    head_idx = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    heads = pc.take(ids, pa.array(head_idx))
    surnames = np.array(list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"))
    given = np.array(list("明华建国英秀兰芳军平伟强丽敏静霞杰涛"))
    names = pc.binary_join_element_wise(
        pa.array(surnames[rng.integers(0, len(surnames), n)]),
        pa.array(given[rng.integers(0, len(given), n)]),
        pa.array(given[rng.integers(0, len(given), n)]),
        "",
    )
    relation = np.where(first, "本人", np.where(rng.random(n) < 0.5, "子女", "配偶"))
    vf = np.datetime64("2015-01-01") + rng.integers(0, 3000, n).astype("timedelta64[D]")
    vf = np.maximum(vf, birth + np.timedelta64(1, "D"))
    vf_s = np.where(pcat == "", "", vf.astype(str))
    urban = np.where(rng.random(n_house) < 0.3, "城镇", "农村")[house]
    town_s = town_of_house[house].astype(str)
    dclass = np.where(
        pcat == "dibao", np.array(["农村一类", "农村二类", "城市全额"])[rng.integers(0, 3, n)], ""
    )
    cols = {
        "身份证号": ids, "姓名": names, "户主身份证号": heads, "与户主关系": pa.array(relation),
        "乡镇代码": pa.array(town_s), "城乡": pa.array(urban), "类别": pa.array(pcat),
        "认定日期": pa.array(vf_s), "退出日期": pa.array(np.full(n, "")),
        "认定来源": pa.array(np.full(n, "部门名单")), "低保类别": pa.array(dclass),
    }  # fmt: skip
    table = pa.table(cols)
    # A second category for 10 % of monitored people (disabled or ill; never tekun/dibao).
    mon = np.flatnonzero(pcat != "")
    pick = mon[rng.random(len(mon)) < 0.10]
    second = np.where(pcat[pick] == "ill", "disabled", "ill")
    extra_rows = table.take(pa.array(pick))
    extra_rows = extra_rows.set_column(6, "类别", pa.array(second))
    extra_rows = extra_rows.set_column(10, "低保类别", pa.array(np.full(len(pick), "")))
    full = pa.concat_tables([table, extra_rows])
    pq.write_table(full, out, row_group_size=500_000)
    return out, full.num_rows
