"""Registry import on SQLite and PostgreSQL: the acceptance file, repeats, formats, moves."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.codes import CATEGORIES, SEED_CATEGORIES
from safetynet.registry.importer import ImportRefused, import_file
from safetynet.registry.rules import DEFAULT_PRIORITY
from safetynet.registry.service import primary_counts
from tests.unit.registry.registry_helpers import bad_check, rid, write_csv

H1, W1, C1 = rid("19600101", 11), rid("19620202", 22), rid("20100303", 31)
H2 = rid("19550505", 41)
H3, X3 = rid("19700707", 51), rid("19800808", 62)
T = "620102901"
TABLES = ("household", "person", "household_move", "membership")
SEED_CATEGORIES_BY_PRIORITY = tuple(c for c in DEFAULT_PRIORITY if c in SEED_CATEGORIES)


def acceptance_rows() -> list[dict[str, str]]:
    base = {"township_code": T}
    return [
        # 1-3 good household 1: head dibao, spouse disabled, child not monitored
        {**base, "resident_id": H1, "name": "张三", "head_resident_id": H1, "relation": "本人",
         "category": "低保对象", "valid_from": "2020-01-01", "dibao_class": "农村一类"},
        {**base, "resident_id": W1, "name": "李四", "head_resident_id": H1, "relation": "配偶",
         "category": "disabled", "valid_from": "2021-05-05", "disability_type": "肢体",
         "disability_grade": "二级"},
        {**base, "resident_id": C1, "name": "张小", "head_resident_id": H1, "relation": "子女"},
        # 4 tekun overlapping the head's dibao
        {**base, "resident_id": H1, "name": "张三", "head_resident_id": H1,
         "category": "tekun", "valid_from": "2023-01-01"},
        # 5 bad ID (check digit)
        {**base, "resident_id": bad_check(rid("19900101", 71)), "name": "王五",
         "head_resident_id": H1, "relation": "子女"},
        # 6 unknown township
        {"township_code": "620102999", "resident_id": H2, "name": "赵六", "head_resident_id": H2,
         "category": "ill", "valid_from": "2024-01-01"},
        # 7 missing name
        {**base, "resident_id": rid("19950909", 81), "name": "", "head_resident_id": H1,
         "relation": "子女"},
        # 8-9 household 3, tekun + relapse subtype flagged relapsed
        {**base, "resident_id": H3, "name": "孙七", "head_resident_id": H3,
         "category": "特困人员", "valid_from": "2019-03-01", "orphan": "否"},
        {**base, "resident_id": X3, "name": "周八", "head_resident_id": H3, "relation": "兄弟姐妹",
         "category": "unstable_lifted", "valid_from": "2022-02-02", "relapsed": "是"},
        # 10 the spouse of household 1 put into household 3 without a move date (same file)
        {**base, "resident_id": W1, "name": "李四", "head_resident_id": H3, "relation": "配偶"},
    ]  # fmt: skip


def dump(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
            for t in TABLES
        }


def rejects(engine, import_id: int) -> dict[int, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT row_number, field, reason_en FROM registry_reject "
                 "WHERE import_id = :i ORDER BY row_number"), {"i": import_id}
        ).all()  # fmt: skip
    return {r[0]: (r[1], r[2]) for r in rows}


def test_acceptance_file(regdb, tmp_path):
    path = write_csv(tmp_path / "registry.csv", acceptance_rows())
    s = import_file(engine=regdb, path=path, actor="test")
    assert (s.rows_read, s.accepted, s.rejected) == (10, 5, 5)
    bad = rejects(regdb, s.import_id)
    assert bad[4][0] == "category" and "overlap" in bad[4][1]
    assert bad[5] == ("resident_id", "wrong check digit in the resident ID")
    assert bad[6] == ("township_code", "township code is not in the division table")
    assert bad[7] == ("name", "name is missing")
    assert bad[10][0] == "head_resident_id" and "another household" in bad[10][1]
    state = dump(regdb)
    assert len(state["household"]) == 2 and len(state["person"]) == 5
    with regdb.connect() as conn:
        groups = dict(conn.execute(text(
            "SELECT category, medical_group FROM membership")).all())  # fmt: skip
        counts = primary_counts(conn=conn, on=date(2024, 6, 1))
    assert groups == {"dibao": "dibao", "disabled": "none", "tekun": "tekun",
                      "unstable_lifted": "relapsed"}  # fmt: skip
    assert counts["dibao"] == 1 and counts["tekun"] == 1 and counts["disabled"] == 1
    assert counts["unstable_lifted"] == 1 and sum(counts.values()) == 4

    again = import_file(engine=regdb, path=path, actor="test")
    assert again.repeat and again.repeat_of == s.import_id
    assert dump(regdb) == state
    forced = import_file(engine=regdb, path=path, actor="test", force=True)
    assert not forced.repeat and forced.rows_read == forced.accepted + forced.rejected
    assert dump(regdb) == state
    with regdb.connect() as conn:
        log = conn.execute(text("SELECT rows_read, accepted, rejected, repeat "
                                "FROM registry_import ORDER BY id")).all()  # fmt: skip
    assert [tuple(r)[:3] for r in log] == [(10, 5, 5)] * 3
    assert [bool(r[3]) for r in log] == [False, True, False]


def test_already_in_household_without_and_with_move(regdb, tmp_path):
    rows = acceptance_rows()
    first = import_file(engine=regdb, path=write_csv(tmp_path / "a.csv", rows[:3] + rows[7:9]))
    assert first.rejected == 0
    move = {"township_code": T, "resident_id": W1, "name": "李四", "head_resident_id": H3,
            "relation": "配偶"}  # fmt: skip
    s = import_file(engine=regdb, path=write_csv(tmp_path / "b.csv", [move]))
    assert s.rejected == 1 and "already in household" in rejects(regdb, s.import_id)[1][1]
    s = import_file(engine=regdb, path=write_csv(tmp_path / "c.csv",
                                                 [{**move, "moved_on": "2024-03-01"}]))  # fmt: skip
    assert (s.accepted, s.moves, s.persons_updated) == (1, 1, 1)
    with regdb.connect() as conn:
        hh = dict(conn.execute(text("SELECT head_resident_id, id FROM household")).all())
        pid, now = conn.execute(text("SELECT id, household_id FROM person WHERE resident_id = :r"),
                                {"r": W1}).one()  # fmt: skip
        moves = conn.execute(text("SELECT person_id, from_household_id, to_household_id, "
                                  "moved_on FROM household_move")).all()  # fmt: skip
    assert now == hh[H3]
    assert [(m[0], m[1], m[2], str(m[3])) for m in moves] == [(pid, hh[H1], hh[H3], "2024-03-01")]

    # A move back dated before the recorded one cannot be placed in the person's history (the
    # monitoring dates households by these moves): rejected; the same day or later is a move.
    back = {**move, "head_resident_id": H1, "relation": "配偶"}
    s = import_file(engine=regdb, path=write_csv(tmp_path / "d.csv",
                                                 [{**back, "moved_on": "2024-02-29"}]))  # fmt: skip
    assert (s.rejected, s.moves) == (1, 0)
    assert rejects(regdb, s.import_id)[1] == (
        "moved_on", "the move date is before this person's last recorded move (2024-03-01)"
    )  # fmt: skip
    s = import_file(engine=regdb, path=write_csv(tmp_path / "e.csv",
                                                 [{**back, "moved_on": "2024-03-01"}]))  # fmt: skip
    assert (s.accepted, s.moves) == (1, 1)


def test_unreadable_files_are_refused_without_change(regdb, tmp_path):
    import_file(engine=regdb, path=write_csv(tmp_path / "ok.csv", acceptance_rows()[:3]))
    state = dump(regdb)
    missing = write_csv(tmp_path / "m.csv", acceptance_rows(), headings=["resident_id", "name"])
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00\x81\x9f" * 50)
    wrong = tmp_path / "registry.pdf"
    wrong.write_text("x")
    for path in (missing, junk, wrong):
        with pytest.raises(ImportRefused):
            import_file(engine=regdb, path=path)
    assert dump(regdb) == state
    with regdb.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM registry_import")).scalar() == 1


def test_gb18030_and_xlsx_inputs(regdb, tmp_path):
    from openpyxl import Workbook

    from safetynet.registry._reader import HEADINGS

    rows = acceptance_rows()
    gb = write_csv(tmp_path / "gb.csv", rows[:3], encoding="gb18030")
    s = import_file(engine=regdb, path=gb)
    assert (s.accepted, s.rejected) == (3, 0)
    wb = Workbook()
    ws = wb.active
    ws.append([HEADINGS[f] for f in HEADINGS])
    for r in rows[7:9]:
        ws.append([r.get(f, "") or None for f in HEADINGS])
    ws.append([None] * len(HEADINGS))  # trailing blank row is not a data row
    wb.save(tmp_path / "x.xlsx")
    s = import_file(engine=regdb, path=tmp_path / "x.xlsx")
    assert (s.rows_read, s.accepted) == (2, 2)
    with regdb.connect() as conn:
        assert conn.execute(text("SELECT name FROM person WHERE resident_id = :r"),
                            {"r": H3}).scalar() == "孙七"  # fmt: skip


def test_cli_import_rejects_stats_show(regdb, use_db, tmp_path):
    runner = CliRunner()
    path = write_csv(tmp_path / "registry.csv", acceptance_rows())
    res = runner.invoke(app, ["registry", "import", str(path), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["rows_read"] == summary["accepted"] + summary["rejected"] == 10
    out = tmp_path / "rejects.xlsx"
    res = runner.invoke(app, ["registry", "rejects", "--import", str(summary["import_id"]),
                              "--xlsx", str(out)])  # fmt: skip
    assert res.exit_code == 0 and out.exists()
    res = runner.invoke(app, ["registry", "rejects", "--import", str(summary["import_id"])])
    assert res.exit_code == 0
    bad_id = bad_check(rid("19900101", 71))
    assert bad_id[:6] + "********" + bad_id[14:] in res.stdout and bad_id not in res.stdout
    res = runner.invoke(app, ["stats", "--date", "2024-06-01", "--json", "--population", "100"])
    stats = json.loads(res.stdout)
    assert stats["total"] == 4 and stats["share"] == pytest.approx(0.04)
    assert stats["by_prefecture"] == [{"code": "6201", "name": "兰州市", "people": 4}]
    res = runner.invoke(app, ["stats", "--date", "2024-06-01"])
    assert res.exit_code == 0 and "低保对象" in res.stdout
    res = runner.invoke(app, ["registry", "show", H1, "--json"])
    person = json.loads(res.stdout)
    assert person["resident_id"] == H1[:6] + "********" + H1[14:]
    assert [m["category"] for m in person["memberships"]] == ["dibao"]
    res = runner.invoke(app, ["registry", "imports", "--json"])
    assert json.loads(res.stdout)[0]["rejected"] == 5
    bad = runner.invoke(app, ["registry", "import", str(tmp_path / "nope.csv")])
    assert bad.exit_code != 0


def test_other_hardship_is_a_category_of_its_own_outside_the_seed_total(regdb, use_db, tmp_path):
    """其他困难人员: accepted by name, code or alias; lowest priority; medical group none unless
    set; in stats on its own line, not in the ten-category total, share or prefectures."""
    o1, o2, o3 = rid("19700101", 13), rid("19750202", 24), rid("19800303", 35)
    base = {"township_code": T, "valid_from": "2023-01-01"}
    rows = [
        # alone: primary other_hardship, default medical group none
        {**base, "resident_id": o1, "name": "甲", "head_resident_id": o1, "category": "其他困难人员"},
        # also ill: ill ranks higher, so she is counted under ill
        {**base, "resident_id": o2, "name": "乙", "head_resident_id": o1, "relation": "配偶",
         "category": "other_hardship", "medical_group": "ill_impoverished"},
        {**base, "resident_id": o2, "name": "乙", "head_resident_id": o1, "relation": "配偶",
         "category": "ill"},
        {**base, "resident_id": o3, "name": "丙", "head_resident_id": o3, "category": "其他困难"},
    ]  # fmt: skip
    s = import_file(engine=regdb, path=write_csv(tmp_path / "o.csv", rows))
    assert (s.accepted, s.rejected) == (4, 0)
    with regdb.connect() as conn:
        groups = conn.execute(text(
            "SELECT p.resident_id, m.medical_group FROM membership m JOIN person p "
            "ON p.id = m.person_id WHERE m.category = 'other_hardship' ORDER BY p.resident_id"
        )).all()  # fmt: skip
        counts = primary_counts(conn=conn, on=date(2024, 6, 1))
    assert sorted(map(tuple, groups)) == sorted(
        [(o1, "none"), (o2, "ill_impoverished"), (o3, "none")]
    )
    assert counts["other_hardship"] == 2 and counts["ill"] == 1
    runner = CliRunner()
    res = runner.invoke(app, ["stats", "--date", "2024-06-01", "--json", "--population", "100"])
    stats = json.loads(res.stdout)
    assert [c["category"] for c in stats["by_category"]] == list(SEED_CATEGORIES_BY_PRIORITY)
    assert stats["total"] == 1 and stats["share"] == pytest.approx(0.01)
    assert stats["by_prefecture"] == [{"code": "6201", "name": "兰州市", "people": 1}]
    assert stats["other_hardship"] == {
        "category": "other_hardship",
        "category_zh": "其他困难人员",
        "people": 2,
    }
    res = runner.invoke(app, ["stats", "--date", "2024-06-01"])
    assert res.exit_code == 0
    line = next(x for x in res.stdout.splitlines() if "other_hardship" in x)
    assert "其他困难人员" in line and "不计入合计" in line and line.rstrip(" │").endswith("2")


def test_template(tmp_path: Path):
    from safetynet.registry._reader import open_registry_file

    runner = CliRunner()
    for name in ("t.csv", "t.xlsx"):
        res = runner.invoke(app, ["registry", "template", "--out", str(tmp_path / name)])
        assert res.exit_code == 0
        assert len(open_registry_file(tmp_path / name).columns) == 19
    info = load_workbook(tmp_path / "t.xlsx")["说明"]
    listed = {r[1]: r[0] for r in info.iter_rows(values_only=True) if r and r[0]}
    assert all(listed.get(code) == name for code, name in CATEGORIES.items())
    assert listed["other_hardship"] == "其他困难人员"


def test_bulk_load_rebuilds_indexes_and_keys(regdb, tmp_path, monkeypatch):
    from sqlalchemy import inspect

    from safetynet.registry import importer

    before = {t: inspect(regdb).get_indexes(t) for t in TABLES}
    fks = {t: inspect(regdb).get_foreign_keys(t) for t in TABLES}
    monkeypatch.setattr(importer, "BULK_REBUILD_ROWS", 0)
    s = import_file(engine=regdb, path=write_csv(tmp_path / "a.csv", acceptance_rows()))
    assert (s.accepted, s.rejected) == (5, 5)
    insp = inspect(regdb)
    key = lambda ix: sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in ix)  # noqa: E731
    assert {t: key(insp.get_indexes(t)) for t in TABLES} == {t: key(v) for t, v in before.items()}
    assert {t: len(insp.get_foreign_keys(t)) for t in TABLES} == {t: len(v) for t, v in fks.items()}


def test_a_failure_while_writing_leaves_nothing_and_the_next_import_works(
    regdb, tmp_path, monkeypatch
):
    """The import fails after households were written (staged rows attached, on SQLite): the
    transaction rolls back, the staged file is detached, and the same connection pool imports
    the file cleanly afterwards."""
    from safetynet.registry._dbio import Bulk

    path = write_csv(tmp_path / "a.csv", acceptance_rows())
    before = dump(regdb)
    real = Bulk.update

    def update(self, table, columns, query):
        if table == "person":
            raise RuntimeError("disk full")
        return real(self, table, columns, query)

    monkeypatch.setattr(Bulk, "update", update)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(engine=regdb, path=path)
    assert dump(regdb) == before
    with regdb.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM registry_import")).scalar_one() == 0
    monkeypatch.setattr(Bulk, "update", real)
    s = import_file(engine=regdb, path=path)
    assert (s.accepted, s.rejected, s.repeat) == (5, 5, False)
    after = dump(regdb)
    assert (
        (s.households_added, s.persons_added, s.memberships_added, s.moves)
        == (len(after["household"]), len(after["person"]), len(after["membership"]), 0)
        == (2, 5, 4, 0)
    )
