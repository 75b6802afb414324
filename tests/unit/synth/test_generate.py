from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook

from safetynet.codes import SEED_CATEGORIES
from safetynet.feeds.specs import get_spec
from safetynet.ids import check_array
from safetynet.synth._util import stream
from safetynet.synth.dirty import EVENT, REQUIRED_EXTRA, UNKNOWN
from safetynet.synth.generate import SynthParams, generate
from safetynet.synth.population import CAT, build_registry
from safetynet.synth.tables import (
    CATEGORY_COUNTS,
    DISABILITY_TYPES,
    PRIORITY,
    RELAPSE_REASONS,
    RELAPSE_SUBTYPES,
)

Manifest = dict[str, Any]


def _read(path: Path) -> list[dict[str, str | None]]:
    """A feed file as rows of text (None for empty), read independently of the generator."""
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".xlsx":
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        head = [str(h) for h in rows[0]]
        return [
            {h: (str(v) if v != "" else None) for h, v in zip(head, r, strict=False)}
            for r in rows[1:]
        ]
    raw = path.read_bytes()
    text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gb18030")
    return [{k: (v or None) for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]


def _registry(out: Path) -> list[dict[str, str]]:
    with (out / "registry.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    params = SynthParams(scale=0.001, seed=3, months=2, start="2024-07")
    a = generate(params, tmp_path / "a")
    b = generate(params, tmp_path / "b")
    assert a["sha256"] == b["sha256"]
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()
    other = build_registry(stream(4, "registry"), 0.001)
    same = build_registry(stream(3, "registry"), 0.001)
    assert not np.array_equal(other.age[:500], same.age[:500])


def test_primary_categories_at_scale_001_within_3_percent() -> None:
    reg = build_registry(stream(7, "registry"), 0.01)
    for name in PRIORITY:
        want = CATEGORY_COUNTS[name] * 0.01
        assert abs((reg.cat == CAT[name]).sum() - want) <= 0.03 * want, name
    seed = np.isin(reg.cat, [CAT[c] for c in SEED_CATEGORIES])
    share = seed.sum() / (24_660_000 * 0.01) * 100
    assert abs(share - 17.39) < 0.1
    # 其他困难人员: about 0.5 % of the seed's total on top of it
    assert (reg.cat == CAT["other_hardship"]).sum() == round(21_400 * 0.01)
    # Second categories rank below the primary one; tekun and dibao never meet.
    assert (reg.m_cat[np.r_[False, reg.m_person[1:] == reg.m_person[:-1]]] > 0).all()
    firsts = reg.m_person[np.r_[True, reg.m_person[1:] != reg.m_person[:-1]]]
    assert (reg.cat[firsts] > 0).all()


def test_registry_file(tiny: tuple[Path, Manifest]) -> None:
    out, manifest = tiny
    rows = _registry(out)
    assert len(rows) == manifest["registry"]["rows"]
    checked = check_array(pa.array([r["身份证号"] for r in rows]))
    assert pc.all(checked["valid"]).as_py()
    heads = {r["户主身份证号"] for r in rows}
    assert heads <= {r["身份证号"] for r in rows if r["与户主关系"] == "户主"}
    people = {r["身份证号"] for r in rows}
    assert len(people) == manifest["registry"]["persons"]
    counted = {c: 0 for c in PRIORITY}
    zh = {v: k for k, v in __import__("safetynet.synth.tables", fromlist=["x"]).CATEGORY_ZH.items()}
    rank = {c: i for i, c in enumerate(PRIORITY)}
    primary: dict[str, str] = {}
    for r in rows:
        if r["类别"]:
            code = zh[r["类别"]]
            old = primary.get(r["身份证号"])
            if old is None or rank[code] < rank[old]:
                primary[r["身份证号"]] = code
        assert bool(r["低保类别"]) == (r["类别"] == "低保对象")
    for code in primary.values():
        counted[code] += 1
    assert counted == manifest["registry"]["by_category"]
    by_person: dict[str, set[str]] = {}
    for r in rows:
        by_person.setdefault(r["身份证号"], set()).add(r["类别"])
    assert not any({"特困人员", "低保对象"} <= cats for cats in by_person.values())


def test_every_township_and_village_is_in_divisions(tiny: tuple[Path, Manifest]) -> None:
    out, _ = tiny
    with (out / "divisions.csv").open(encoding="utf-8") as fh:
        divisions = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    rows = _registry(out)
    assert {r["乡镇代码"] for r in rows} <= set(divisions)
    assert {r["村社区代码"] for r in rows if r["村社区代码"]} <= set(divisions)
    for r in rows:
        assert r["乡镇代码"][6] == "9" and divisions[r["乡镇代码"]].endswith("（模拟）")


def test_feed_headings_and_formats(tiny: tuple[Path, Manifest]) -> None:
    out, manifest = tiny
    seen = set()
    for entry in manifest["feeds"]:
        path = out / entry["file"]
        rows = _read(path)
        # the headings the feeds ingestion reads (its spec), in the spec's order
        assert list(rows[0]) == get_spec(entry["source"]).headings, entry["file"]
        assert len(rows) == entry["rows"]
        seen.add((entry["source"], entry["month"]))
        ids = [r[get_spec(entry["source"]).headings[0]] for r in rows]
        assert len(set(ids)) == len(ids) and None not in ids
    assert ("university", "2024-07") in seen and ("university", "2024-06") not in seen
    assert (out / "feeds/2024-06/disease.csv").read_bytes()[:3] != b"\xef\xbb\xbf"
    assert (out / "feeds/2024-06/death.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


_ALLOWED = {
    "层次": {"本科", "专科", "高职", "中职"},
    "残疾类别": set(DISABILITY_TYPES),
    "残疾等级": {"1", "2", "3", "4", "一级", "二级", "三级", "四级"},
    "监测类型": set(RELAPSE_SUBTYPES),
    "风险类型": set(RELAPSE_REASONS),
}


def _recount(source: str, rows: list[dict[str, str | None]]) -> tuple[dict[str, int], list[str]]:
    """Dirty rows per kind, worked out from the file alone; plus the IDs of clean rows."""
    tally = dict.fromkeys(("id15", "lower_x", "bad_check", "missing_field", "bad_date",
                           "negative_amount", "unknown_code"), 0)  # fmt: skip
    required = ["身份证号", "姓名", EVENT[source], *REQUIRED_EXTRA.get(source, [])]
    clean = []
    valid = check_array(pa.array([r["身份证号"] for r in rows], pa.string()))["valid"].to_pylist()
    for r, ok in zip(rows, valid, strict=True):
        rid = r["身份证号"]
        if any(not r[f] for f in required):
            tally["missing_field"] += 1
        elif len(rid) == 15:
            tally["id15"] += 1
        elif rid.endswith("x"):
            tally["lower_x"] += 1
        elif not ok:
            tally["bad_check"] += 1
        elif not _is_date(r[EVENT[source]]):
            tally["bad_date"] += 1
        elif any((r.get(c) or "").startswith("-") for c in ("个人自付", "学费")):
            tally["negative_amount"] += 1
        elif any(
            c in r and r[c] not in ok for c, ok in _ALLOWED.items() if c in UNKNOWN.get(source, {})
        ):
            tally["unknown_code"] += 1
        else:
            clean.append(rid)
    return tally, clean


def _is_date(text: str | None) -> bool:
    try:
        np.datetime64(text, "D")
    except ValueError:
        return False
    return True


def test_dirty_counts_match_an_independent_recount(tiny: tuple[Path, Manifest]) -> None:
    out, manifest = tiny
    total = 0
    for entry in manifest["feeds"]:
        tally, clean = _recount(entry["source"], _read(out / entry["file"]))
        assert tally == entry["dirty"], entry["file"]
        assert sum(tally.values()) == entry["dirty_rows"]
        assert pc.all(check_array(pa.array(clean, pa.string()))["valid"]).as_py() is not False
        total += entry["dirty_rows"]
    rows = sum(e["rows"] for e in manifest["feeds"])
    assert 0.01 < total / rows < 0.02


def test_feeds_hit_monitored_people_more_often(tiny: tuple[Path, Manifest]) -> None:
    _, manifest = tiny
    hosp = [e for e in manifest["feeds"] if e["source"] == "hospital"]
    monitored_share = manifest["registry"]["monitored"] / manifest["province_population"]
    hit_share = sum(e["monitored_rows"] for e in hosp) / sum(e["rows"] for e in hosp)
    assert monitored_share < hit_share < 0.6


def test_moves_file_imports_as_dated_moves(tiny: tuple[Path, Manifest], engine: Any) -> None:
    """registry-moves.csv, imported after the registry, moves every listed person once, on a
    day inside the feed months, and adds or changes no membership."""
    from sqlalchemy import text

    from safetynet.db import unit_of_work
    from safetynet.regions import service as regions
    from safetynet.registry.importer import import_file

    out, manifest = tiny
    moves = manifest["moves"]
    assert moves["persons"] == round(manifest["registry"]["persons"] * 0.01 * 3 / 12) > 0
    assert moves["joins"] + moves["splits"] == moves["persons"] and moves["splits"] > 0
    with unit_of_work(engine) as session:
        regions.load_builtin(session=session)
        regions.import_divisions(session=session, paths=[out / "divisions.csv"])
    first = import_file(engine=engine, path=out / "registry.csv", actor="test")
    assert first.rejected == 0 and first.moves == 0
    s = import_file(engine=engine, path=out / moves["file"], actor="test")
    assert (s.rows_read, s.rejected) == (moves["rows"], 0)
    assert (s.moves, s.persons_updated, s.households_added) == (
        moves["persons"], moves["persons"], moves["splits"],
    )  # fmt: skip
    assert (s.memberships_added, s.memberships_updated, s.households_updated) == (0, 0, 0)
    with engine.connect() as conn:
        first_day, last_day, people = conn.execute(
            text("SELECT min(moved_on), max(moved_on), count(DISTINCT person_id) "
                 "FROM household_move WHERE from_household_id IS NOT NULL")
        ).one()  # fmt: skip
    assert people == moves["persons"]
    assert "2024-06-01" <= str(first_day) <= str(last_day) <= "2024-08-31"
