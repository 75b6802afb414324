"""The division service on SQLite and PostgreSQL: imports, idempotency, rejections, queries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from safetynet.db import unit_of_work
from safetynet.regions import service
from safetynet.regions.models import Region
from safetynet.regions.tree import Level, RegionCodeError


def uow(engine: Engine, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """``fn(session=…, **kwargs)`` in a unit of work of its own (committed when it returns)."""
    with unit_of_work(engine) as session:
        return fn(session=session, **kwargs)


def _counts(engine: Engine) -> dict[int, int]:
    return {int(k): v for k, v in uow(engine, service.counts_by_level).items()}


def test_official_files_import(engine: Engine, official_files: list[Path]) -> None:
    report = uow(engine, service.import_divisions, paths=official_files)
    assert report.rejected == []
    assert report.new == report.loaded == 1 + 14 + 88 + 1403
    assert report.loaded_by_level == {2: 1, 4: 14, 6: 88, 9: 1403}
    assert _counts(engine) == {2: 1, 4: 14, 6: 88, 9: 1403, 12: 0}

    up = uow(engine, service.chain, code="620102")
    assert [r.name for r in up] == ["甘肃省", "兰州市", "城关区"]
    kids = uow(engine, service.children, code="620102")
    assert len(kids) == 28
    assert kids[0].code == "620102001" and kids[0].name == "酒泉路街道"
    assert all(k.level == Level.TOWNSHIP and k.parent_code == "620102" for k in kids)
    # GB/T 2260 spellings address the same rows
    assert [r.code for r in uow(engine, service.children, code="620200")] == ["620201"]
    assert len(uow(engine, service.children, code="620201")) == 5
    assert [r.code for r in uow(engine, service.children, code=None)] == ["62"]


def test_reimport_is_idempotent(engine: Engine, official_files: list[Path]) -> None:
    uow(engine, service.import_divisions, paths=official_files)
    before = _counts(engine)
    again = uow(engine, service.import_divisions, paths=official_files)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1506)
    assert again.rejected == []
    assert _counts(engine) == before


def test_gb18030_copy_imports_the_same(
    engine: Engine, gb18030_files: list[Path], official_files: list[Path]
) -> None:
    report = uow(engine, service.import_divisions, paths=gb18030_files)
    assert {f.encoding for f in report.files} == {"gb18030"}
    assert report.loaded_by_level == {2: 1, 4: 14, 6: 88, 9: 1403}
    # ... and the UTF-8 originals find every name identical
    assert uow(engine, service.import_divisions, paths=official_files).unchanged == 1506


def test_bad_rows_rejected_good_rows_load(engine: Engine, tmp_path: Path) -> None:
    uow(engine, service.load_builtin)
    path = tmp_path / "towns.csv"
    path.write_text(
        "code,name,areaCode\n"
        "620102001,酒泉路街道,620102\n"  # good
        "62010200x,坏代码,620102\n"  # bad code
        "620102002,,620102\n"  # empty name
        "620199001,孤儿镇,620199\n"  # county 620199 does not exist
        "620102003,白银路街道,620103\n"  # parent column contradicts the code
        "620102004,皋兰路街道,620102\n"  # good
        "620102005,甲,620102\n"
        "620102005,乙,620102\n"  # same code, different name: both refused
        "620102004,皋兰路街道,620102\n",  # exact duplicate: ignored
        encoding="utf-8",
    )
    report = uow(engine, service.import_divisions, paths=[path])
    assert report.new == 2
    assert report.duplicates == 1
    reasons = {(r.line, r.code): r.reason for r in report.rejected}
    assert set(reasons) == {
        (3, "62010200x"),
        (4, "620102002"),
        (5, "620199001"),
        (6, "620102003"),
        (8, "620102005"),
        (9, "620102005"),
    }
    assert "bad code" in reasons[3, "62010200x"]
    assert "empty name" in reasons[4, "620102002"]
    assert (
        "620199" in reasons[5, "620199001"] and "neither in the database" in reasons[5, "620199001"]
    )
    assert "areaCode=620103" in reasons[6, "620102003"]
    assert "different names" in reasons[8, "620102005"]
    assert report.files[0].rows == 9 and report.files[0].rejected == 6
    stored = [r.code for r in uow(engine, service.children, code="620102")]
    assert stored == ["620102001", "620102004"]


def test_children_of_rejected_parent(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("code,name\n62,甘肃省\n6201,\n620102,城关区\n", encoding="utf-8")
    report = uow(engine, service.import_divisions, paths=[path])
    assert report.new == 1
    reasons = {r.code: r.reason for r in report.rejected}
    assert "empty name" in reasons["6201"]
    assert "was rejected in this import" in reasons["620102"]


def test_rename_is_an_update(engine: Engine, tmp_path: Path) -> None:
    uow(engine, service.load_builtin)
    path = tmp_path / "rename.csv"
    path.write_text("code,name\n620100,兰州市（新）\n", encoding="utf-8")
    report = uow(engine, service.import_divisions, paths=[path])
    assert (report.new, report.updated) == (0, 1)
    info = uow(engine, service.get, code="6201")
    assert info is not None and info.name == "兰州市（新）"
    with engine.connect() as conn:
        source = conn.execute(select(Region.source).where(Region.code == "6201")).scalar_one()
    assert source == "import:rename.csv"


def test_builtin_data(engine: Engine) -> None:
    first = uow(engine, service.load_builtin)
    assert first.loaded_by_level == {2: 1, 4: 14, 6: 88}
    assert first.rejected == []
    second = uow(engine, service.load_builtin)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 103)
    names = {r.code: r.name for r in uow(engine, service.children, code="6201")}
    assert names["620171"] == "兰州新区"
    assert uow(engine, service.children, code="6202")[0].code == "620201"


def test_upsert_synthetic_townships(engine: Engine) -> None:
    uow(engine, service.load_builtin)
    report = uow(
        engine, service.upsert, rows=[("620102901", "甲镇（模拟）"), ("620102902", "乙镇（模拟）")]
    )
    assert report.new == 2
    with engine.connect() as conn:
        sources = conn.execute(select(Region.source).where(Region.level == 9)).scalars().all()
    assert sources == ["synthetic", "synthetic"]


def test_in_scope_matches_within(engine: Engine, official_files: list[Path]) -> None:
    from safetynet.regions.tree import within

    uow(engine, service.import_divisions, paths=official_files)
    with engine.connect() as conn:
        all_codes = conn.execute(select(Region.code)).scalars().all()
        for scope in ("62", "620000", "6201", "620102", "620102001", "6202"):
            n = conn.execute(
                select(func.count()).where(service.in_scope(Region.code, scope))
            ).scalar_one()
            assert n == sum(within(c, scope) for c in all_codes)
    with pytest.raises(RegionCodeError):
        service.in_scope(Region.code, "62%")


def test_unknown_and_bad_codes(engine: Engine) -> None:
    uow(engine, service.load_builtin)
    with pytest.raises(service.UnknownRegion, match="620199"):
        uow(engine, service.chain, code="620199")
    with pytest.raises(RegionCodeError):
        uow(engine, service.chain, code="abc")
    assert uow(engine, service.get, code="620199") is None


def test_unreadable_file_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("code,name\n62,甘肃省\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("code,name\n6201,兰州市\n".encode("utf-16"))
    with pytest.raises(service.DivisionFileError, match=r"bad\.csv"):
        uow(engine, service.import_divisions, paths=[good, bad])
    assert sum(_counts(engine).values()) == 0


def test_big_batch_lookup_by_province(
    engine: Engine, official_files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large imports look stored rows up by province scan; the outcome is the same."""
    monkeypatch.setattr(service, "_SCAN_ABOVE", 10)
    uow(engine, service.import_divisions, paths=official_files)
    villages = tmp_path / "villages.csv"
    villages.write_text(
        "code,name,streetCode\n620102001001,第一社区,620102001\n620102001002,第二社区,620102001\n"
        "620102999001,孤村,620102999\n",
        encoding="utf-8",
    )
    report = uow(engine, service.import_divisions, paths=[*official_files, villages])
    assert (report.new, report.updated, report.unchanged) == (2, 0, 1506)
    assert [r.code for r in report.rejected] == ["620102999001"]
    assert _counts(engine)[12] == 2
    assert [r.name for r in uow(engine, service.chain, code="620102001002")][-2:] == [
        "酒泉路街道",
        "第二社区",
    ]
