"""Build the synthetic province: divisions, registry, monthly feeds and a manifest."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.codes import OTHER_HARDSHIP, SEED_CATEGORIES
from safetynet.hashing import file_sha256
from safetynet.policy.eligibility_io import HOUSEHOLDS_FILE, MEMBERS_FILE
from safetynet.standards.files import builtin_standards
from safetynet.synth._util import stream
from safetynet.synth.economy import MISMATCH_SHARE, economy_tables
from safetynet.synth.feeds import World, weight_key
from safetynet.synth.geography import (
    Geography,
    Townships,
    load_geography,
    synthetic_townships,
    townships_from_codes,
)
from safetynet.synth.idgen import (
    assign_slots,
    build_id_matrix,
    county_code_matrix,
    matrix_to_strings,
)
from safetynet.synth.monthly import write_feeds
from safetynet.synth.moves import MOVE_RATE, Households, moves_table
from safetynet.synth.names import person_names, surnames
from safetynet.synth.population import CAT, SPOUSE, build_pool, build_registry
from safetynet.synth.registry_file import registry_table
from safetynet.synth.tables import PRIORITY, PROVINCE_POPULATION
from safetynet.synth.writers import write_csv, write_parquet

__all__ = ["PARQUET_THRESHOLD", "SynthParams", "generate"]

PARQUET_THRESHOLD = 1_000_000  # registry rows above this are written as Parquet
_EPOCH = np.datetime64("1970-01-01")


@dataclass(frozen=True)
class SynthParams:
    """What to build; the same parameters always give the same bytes."""

    scale: float
    seed: int
    months: int = 12
    start: str = "2024-01"
    townships_from_db: bool = False

    def month_list(self) -> list[tuple[int, int]]:
        """The feed months as (year, month).

        >>> SynthParams(scale=0.01, seed=1, months=3, start="2024-11").month_list()
        [(2024, 11), (2024, 12), (2025, 1)]
        """
        y, m = (int(x) for x in self.start.split("-"))
        out = []
        for i in range(self.months):
            k = (m - 1) + i
            out.append((y + k // 12, k % 12 + 1))
        return out


def generate(
    params: SynthParams,
    out: Path,
    *,
    real_townships: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 2,
) -> dict[str, object]:
    """Write everything under ``out`` and return the manifest (also written as manifest.json)."""
    say = progress or (lambda _msg: None)
    seed = params.seed
    out.mkdir(parents=True, exist_ok=True)
    months = params.month_list()
    ref_days = int(
        (np.datetime64(f"{months[0][0]:04d}-{months[0][1]:02d}-01") - _EPOCH).astype(int)
    )

    say("区划 / divisions")
    geo = load_geography()
    towns = synthetic_townships(geo, stream(seed, "townships"))
    if real_townships:
        towns = townships_from_codes(geo, real_townships, fallback=towns)
    n_county = len(geo.county_codes)
    codes = county_code_matrix(geo.county_codes)
    pref_index = {p: i for i, p in enumerate(geo.prefecture_codes)}
    pref_of_county = np.array([pref_index[c[:4]] for c in geo.county_codes])

    say("登记人员 / registry people")
    reg = build_registry(stream(seed, "registry"), params.scale)
    n_reg = len(reg.hh)
    n_hh = len(reg.hh_size)
    loc = stream(seed, "location")
    w_county = geo.county_population / geo.county_population.sum()
    hh_county = loc.choice(n_county, size=n_hh, p=w_county)
    per = towns.first[hh_county + 1] - towns.first[hh_county]
    hh_town = towns.first[hh_county] + np.floor(loc.random(n_hh) * per).astype(np.int64)
    vc = towns.village_count[hh_town]
    u = loc.random(n_hh)
    village = np.where(
        reg.hh_urban, np.floor(u * 2), 2 + np.floor(u * np.maximum(vc - 2, 1))
    ).astype(np.int64)
    has_village = vc > 0
    town_codes = pa.array(towns.codes)
    hh_town_code = town_codes.take(pa.array(hh_town))
    vnum = pc.utf8_lpad(pc.cast(pa.array(village + 1), pa.string()), 3, "0")
    hh_village_code = pc.if_else(
        pa.array(has_village),
        pc.binary_join_element_wise(hh_town_code, vnum, ""),
        pa.scalar(None, pa.string()),
    )
    vstart = np.concatenate([[0], np.cumsum(towns.village_count)[:-1]])
    vnames = pa.array(towns.village_names or [""], pa.string())
    vname = vnames.take(pa.array(np.where(has_village, vstart[hh_town] + village, 0)))
    county_names = pa.array(geo.county_names)
    place = pc.if_else(pa.array(has_village), vname, pa.array(towns.names).take(pa.array(hh_town)))
    house = pc.cast(pa.array(loc.integers(1, 200, n_hh)), pa.string())
    address = pc.binary_join_element_wise(
        "甘肃省", county_names.take(pa.array(hh_county)), place, house, "号", ""
    )

    say("全省人口 / province population")
    province = round(PROVINCE_POPULATION * params.scale)
    pool = build_pool(
        stream(seed, "pool"), max(province - n_reg, 0), geo.county_population, ref_days
    )
    brng = stream(seed, "births")
    reg_birth = (
        ref_days - np.floor(reg.age * 365.2425 + brng.random(n_reg) * 365.0).astype(np.int64) - 1
    )
    reg_county = hh_county[reg.hh].astype(np.int64)
    reg_slot = assign_slots(reg_county, reg_birth, reg.male, upper=True)
    pool_slot = assign_slots(pool.county, pool.birth, pool.male, pool.rank)
    age = np.concatenate([reg.age, pool.age]).astype(np.int16)
    birth = np.concatenate([reg_birth, pool.birth]).astype(np.int32)
    county = np.concatenate([reg_county, pool.county]).astype(np.int16)
    male = np.concatenate([reg.male, pool.male])
    slot = np.concatenate([reg_slot, pool_slot])
    del pool_slot
    rural = np.concatenate([~reg.hh_urban[reg.hh], brng.random(len(pool.age)) < 0.55])
    cat = np.concatenate([reg.cat, np.zeros(len(pool.age), np.int8)])
    del pool
    hospitals = (
        [f"{n}{kind}" for n in geo.county_names for kind in ("人民医院", "中医医院")]
        + [f"{geo.prefecture_names[p]}人民医院" for p in geo.prefecture_codes]
        + ["甘肃省人民医院", "兰州大学第一医院", "兰州大学第二医院", "甘肃省中医院"]
    )
    world = World(
        county=county, age=age, male=male, cat=cat, rural=rural, birth=birth, slot=slot,
        registry_size=n_reg, n_county=n_county, n_pref=len(geo.prefecture_codes),
        pref_of_county=pref_of_county, wkey=weight_key(age, cat, rural), hospitals=pa.array(hospitals),
        county_codes=pa.array(geo.county_codes),
    )  # fmt: skip

    reg_ids = matrix_to_strings(
        build_id_matrix(codes, county[:n_reg], birth[:n_reg], male[:n_reg], slot[:n_reg])
    )
    head = np.searchsorted(reg.hh, np.arange(n_hh))[reg.hh]
    pid = np.arange(n_reg, dtype=np.uint64)
    fam_key = np.where(reg.relation == SPOUSE, pid, head.astype(np.uint64))
    reg_names = person_names(pid, reg.male, seed, family=surnames(fam_key, seed))

    say("登记文件 / registry file")
    table = registry_table(
        stream(seed, "memberships"),
        reg,
        reg_ids,
        reg_names,
        hh_town_code,
        hh_village_code,
        address,
        ref_days,
        reg_birth,
    )
    say("家庭经济状况 / household economic records")
    category_names = [""] * (max(CAT.values()) + 1)
    for name, number in CAT.items():
        category_names[number] = name
    eco_households, eco_members = economy_tables(
        stream(seed, "economy"), hh_category=reg.hh_category, category_names=category_names,
        hh_county=pc.utf8_slice_codeunits(hh_town_code, 0, 6), hh_urban=reg.hh_urban,
        hh_of_person=reg.hh, tekun_person=reg.cat == CAT["tekun"], age=reg.age,
        birth_days=reg_birth, resident_ids=reg_ids, standards=builtin_standards(),
        on=date(months[0][0], months[0][1], 1),
    )  # fmt: skip
    say("迁居 / household moves")
    y, m = months[-1]
    days = int((np.datetime64(f"{y + m // 12:04d}-{m % 12 + 1:02d}-01") - _EPOCH).astype(int))
    moves = moves_table(
        stream(seed, "moves"), reg, table, reg_ids,
        Households(hh_county, hh_town_code, hh_village_code, reg.hh_urban, address),
        ref_days, days - ref_days,
    )  # fmt: skip
    reg_path = out / ("registry.parquet" if table.num_rows > PARQUET_THRESHOLD else "registry.csv")
    mov_path = out / (
        "registry-moves.parquet"
        if moves.table.num_rows > PARQUET_THRESHOLD
        else "registry-moves.csv"
    )
    for stale in (out / f"{stem}.{ext}" for stem in ("registry", "registry-moves")
                  for ext in ("parquet", "csv")):  # fmt: skip
        stale.unlink(missing_ok=True)
    # Two workers: files are written while the next ones are built (NumPy and Arrow release the GIL).
    with ThreadPoolExecutor(max_workers=workers) as executor:
        writer = write_parquet if reg_path.suffix == ".parquet" else write_csv
        reg_job = executor.submit(writer, table, reg_path)
        del table
        (write_parquet if mov_path.suffix == ".parquet" else write_csv)(moves.table, mov_path)
        say("家庭经济状况文件 / economic record files")
        eco_paths = [out / HOUSEHOLDS_FILE, out / MEMBERS_FILE]
        write_parquet(eco_households, eco_paths[0])
        write_parquet(eco_members, eco_paths[1])
        say("区划文件 / divisions file")
        div_path = out / "divisions.csv"
        write_csv(_divisions(geo, towns), div_path)
        say("部门数据 / department feeds")
        files = write_feeds(
            seed=seed, scale=params.scale, out=out, world=world, codes=codes, reg_names=reg_names,
            months=months, executor=executor,
        )  # fmt: skip
        reg_job.result()

    by_cat = {c: int((reg.cat == CAT[c]).sum()) for c in PRIORITY}
    # the seed's ten categories; other_hardship is counted on its own, outside that total
    monitored = sum(n for c, n in by_cat.items() if c in SEED_CATEGORIES)
    seed_cat = np.isin(reg.cat, [CAT[c] for c in SEED_CATEGORIES])
    pref_all = pref_of_county[county[:n_reg]]
    by_pref = {
        p: {
            "name": geo.prefecture_names[p],
            "monitored": int(((pref_all == i) & seed_cat).sum()),
            "registry_persons": int((pref_all == i).sum()),
        }
        for i, p in enumerate(geo.prefecture_codes)
    }
    manifest: dict[str, object] = {
        "version": 1,
        "params": asdict(params),
        "province_population": province,
        "registry": {
            "file": reg_path.name,
            "rows": int(len(reg.m_person) + int((reg.cat == 0).sum())),
            "persons": n_reg,
            "households": n_hh,
            "monitored": monitored,
            "monitored_share_percent": round(monitored / province * 100, 3) if province else 0.0,
            "other_hardship": by_cat.get(OTHER_HARDSHIP, 0),
            "second_category_rows": int(len(reg.m_person) - int((reg.cat > 0).sum())),
            "by_category": by_cat,
            "by_prefecture": by_pref,
        },
        "moves": {
            "file": mov_path.name,
            "rows": moves.table.num_rows,
            "persons": moves.persons,
            "joins": moves.joins,
            "splits": moves.splits,
            "rate_per_year": MOVE_RATE,
        },
        "economy": {
            "households_file": HOUSEHOLDS_FILE,
            "members_file": MEMBERS_FILE,
            "households": eco_households.num_rows,
            "members": eco_members.num_rows,
            "mismatched": int(pc.sum(eco_households.column("mismatch")).as_py() or 0),
            "mismatch_share": MISMATCH_SHARE,
            "standards_on": date(months[0][0], months[0][1], 1).isoformat(),
        },
        "divisions": {
            "file": div_path.name,
            "townships": len(towns.codes),
            "villages": int(towns.village_count.sum()),
        },
        "feeds": files,
        "sha256": {
            str(p.relative_to(out)): file_sha256(p)
            for p in [
                reg_path,
                mov_path,
                *eco_paths,
                div_path,
                *(out / str(f["file"]) for f in files),
            ]
        },
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    return manifest


def _divisions(g: Geography, t: Townships) -> pa.Table:
    """Province, prefectures, counties, synthetic townships and villages (code, name)."""
    codes = ["62", *g.prefecture_codes, *g.county_codes]
    names = ["甘肃省", *(g.prefecture_names[p] for p in g.prefecture_codes), *g.county_names]
    synthetic = pa.array([n.endswith("（模拟）") for n in t.names])
    tc = pa.array(t.codes, pa.string()).filter(synthetic)
    tn = pa.array(t.names, pa.string()).filter(synthetic)
    vcount = np.asarray(t.village_count)
    town_of_village = np.repeat(np.arange(len(vcount)), vcount)
    k = (
        np.arange(len(town_of_village))
        - np.concatenate([[0], np.cumsum(vcount)[:-1]])[town_of_village]
    )
    vc = pc.binary_join_element_wise(
        pa.array(t.codes, pa.string()).take(pa.array(town_of_village, pa.int64())),
        pc.utf8_lpad(pc.cast(pa.array(k + 1, pa.int64()), pa.string()), 3, "0"),
        "",
    )
    return pa.table(
        {
            "code": pa.concat_arrays([pa.array(codes), tc, vc]),
            "name": pa.concat_arrays([pa.array(names), tn, pa.array(t.village_names, pa.string())]),
        }
    )
