"""The DuckDB stages of the registry import: parse rows, check across rows, resolve ids.

Each stage is set-based SQL over the staging tables (``stage`` → ``r`` → ``fp``/``fh``/``hh``/
``pp``/``mm``); see :mod:`safetynet.registry.importer` for the whole flow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetynet.registry import categories as cat
from safetynet.registry._checks import (
    case_map,
    exclusive_sql,
    medical_default_sql,
    overlap_sql,
    row_error_sql,
)
from safetynet.registry._reader import FIELDS

__all__ = ["cross_checks", "parse", "resolve"]


def _date(expr: str) -> str:
    x = f"nullif(trim({expr}), '')"
    parsed = (
        f"coalesce(try_cast({x} AS DATE), try_strptime({x}, '%Y/%m/%d')::DATE, "
        f"try_strptime({x}, '%Y%m%d')::DATE, try_strptime({x}, '%Y.%m.%d')::DATE, "
        f"try_strptime({x}, '%Y年%m月%d日')::DATE)"
    )
    return f"(CASE WHEN {parsed} BETWEEN DATE '1900-01-01' AND DATE '2099-12-31' THEN {parsed} END)"


def parse(duck: Any, staged: Path) -> None:
    """Stage → ``r``: typed columns, the first single-row error, blank rows dropped."""
    # DuckDB reads the staging file itself, within its memory limit (no Arrow scan).
    duck.execute(f"CREATE VIEW stage AS SELECT * FROM read_parquet('{staged}')")
    t = {f: f"nullif(trim(s.{f}), '')" for f in FIELDS}
    township = (
        f"(CASE WHEN length({t['township_code']}) = 12 AND {t['township_code']} LIKE '%000' "
        f"THEN left({t['township_code']}, 9) ELSE {t['township_code']} END)"
    )
    rel = cat.lookup_table(cat.RELATIONS, cat.ALIASES["relation"])
    category = cat.lookup_table(cat.CATEGORIES, cat.ALIASES["category"])
    groups = cat.lookup_table(cat.MEDICAL_GROUPS, cat.ALIASES["medical_group"])
    grades = {k.lower(): v for k, v in cat.GRADES.items()}
    duck.execute(
        f"""
        CREATE TABLE r AS
        WITH p AS (
        SELECT s.row_number, s.ctl, {t["resident_id"]} AS rid_raw, s.rid, s.rid_err, s.birth_date, s.sex,
          {t["name"]} AS name, {t["head_resident_id"]} AS head_raw, s.head,
          {t["relation"]} AS relation_raw, {case_map(t["relation"], rel)} AS relation,
          {township} AS township, {township} IN (SELECT code FROM twn) AS township_known,
          {t["village_code"]} AS village,
          {t["urban_rural"]} AS urban_raw, {case_map(t["urban_rural"], cat.URBAN_RURAL)} AS urban,
          {t["address"]} AS address,
          {t["category"]} AS category_raw, {case_map(t["category"], category)} AS category,
          {t["valid_from"]} AS valid_from_raw, {_date("s.valid_from")} AS valid_from,
          {t["valid_to"]} AS valid_to_raw, {_date("s.valid_to")} AS valid_to,
          {t["source"]} AS source_raw,
          {case_map(t["source"], cat.lookup_table(cat.SOURCES))} AS source,
          {t["dibao_class"]} AS dibao_class_raw,
          {case_map(t["dibao_class"], cat.lookup_table(cat.DIBAO_CLASSES))} AS dibao_class,
          {t["orphan"]} AS orphan_raw, {case_map(t["orphan"], cat.YES_NO)} AS orphan,
          {t["disability_type"]} AS dtype_raw,
          {case_map(t["disability_type"], cat.lookup_table(cat.DISABILITY_TYPES))}
            AS disability_type,
          {t["disability_grade"]} AS grade_raw,
          {case_map(t["disability_grade"], grades)} AS disability_grade,
          {t["relapsed"]} AS relapsed_raw, {case_map(t["relapsed"], cat.YES_NO)} AS relapsed,
          {t["medical_group"]} AS mg_raw, {case_map(t["medical_group"], groups)} AS mg,
          {t["moved_on"]} AS moved_raw, {_date("s.moved_on")} AS moved_on
        FROM stage s
        WHERE coalesce({", ".join(t.values())}) IS NOT NULL)
        SELECT p.row_number, p.rid, p.birth_date, p.sex, p.name, p.head, p.relation,
          p.township, p.village, p.urban, p.address, p.category, p.valid_from, p.valid_to,
          p.source, p.dibao_class, p.orphan, p.disability_type, p.disability_grade, p.relapsed,
          p.mg, p.moved_on, {row_error_sql()} AS err, NULL::VARCHAR AS detail FROM p
        """
    )


def cross_checks(duck: Any) -> None:
    """Rules across rows of the file and against the database, in order."""
    ex = exclusive_sql()
    overlap = overlap_sql("a", "b")
    # Resident IDs with more than one row: the only ones the next two checks need to look at.
    duck.execute(
        "CREATE TABLE multi AS SELECT rid FROM r WHERE err IS NULL GROUP BY rid HAVING count(*) > 1"
    )
    duck.execute(
        """
        UPDATE r SET err = 'duplicate_row', detail = CAST(x.first AS VARCHAR) FROM (
          SELECT row_number,
            min(row_number) OVER (PARTITION BY rid, category, valid_from) AS first
          FROM r WHERE err IS NULL AND rid IN (SELECT rid FROM multi)
        ) x WHERE r.row_number = x.row_number AND x.first < x.row_number
        """
    )
    duck.execute(
        """
        UPDATE r SET err = 'person_conflict', detail = CAST(x.first AS VARCHAR) FROM (
          SELECT row_number, head,
            arg_min(head, row_number) OVER (PARTITION BY rid) AS first_head,
            min(row_number) OVER (PARTITION BY rid) AS first
          FROM r WHERE err IS NULL AND rid IN (SELECT rid FROM multi)
        ) x WHERE r.row_number = x.row_number AND x.head <> x.first_head
        """
    )
    duck.execute(
        f"""
        UPDATE r SET err = 'overlap_file', detail = CAST(x.other AS VARCHAR) FROM (
          SELECT b.row_number, min(a.row_number) AS other
          FROM r a JOIN r b ON a.rid = b.rid AND a.row_number < b.row_number
            AND a.category <> b.category
          WHERE a.err IS NULL AND b.err IS NULL
            AND a.category IN ({ex}) AND b.category IN ({ex}) AND {overlap}
          GROUP BY b.row_number
        ) x WHERE r.row_number = x.row_number
        """
    )
    duck.execute(
        """
        UPDATE r SET err = 'other_household',
          detail = '#' || d.household_id || '（户主 ' || left(d.head, 6) || '********'
            || right(d.head, 4) || '）'
        FROM dbp d
        WHERE r.err IS NULL AND d.rid = r.rid AND d.head <> r.head AND r.moved_on IS NULL
        """
    )
    # a move must come after the person's last recorded one: the monitoring places people in
    # households by these dates (registry.rules.household_on), and an earlier-dated move could
    # not say where the person was in between
    duck.execute(
        """
        UPDATE r SET err = 'move_before_last', detail = strftime(mv.last_move, '%Y-%m-%d')
        FROM dbp d, dbmv mv
        WHERE r.err IS NULL AND d.rid = r.rid AND mv.person_id = d.id AND d.head <> r.head
          AND r.moved_on IS NOT NULL AND r.moved_on < mv.last_move
        """
    )
    duck.execute(
        f"""
        UPDATE r SET err = 'overlap_db', detail = x.d FROM (
          SELECT b.row_number,
            min(a.category || '（' || strftime(a.valid_from, '%Y-%m-%d') || '–'
              || coalesce(strftime(a.valid_to, '%Y-%m-%d'), '') || '）') AS d
          FROM r b JOIN dbp p ON p.rid = b.rid
          JOIN dbm a ON a.person_id = p.id AND a.category IN ({ex}) AND a.category <> b.category
          WHERE b.err IS NULL AND b.category IN ({ex}) AND {overlap}
            AND NOT EXISTS (SELECT 1 FROM r c WHERE c.err IS NULL AND c.rid = b.rid
              AND c.category = a.category AND c.valid_from = a.valid_from)
          GROUP BY b.row_number
        ) x WHERE r.row_number = x.row_number
        """
    )
    duck.execute(
        """
        UPDATE r SET err = 'head_unregistered'
        WHERE err IS NULL AND rid <> head
          AND head NOT IN (SELECT rid FROM r WHERE err IS NULL AND rid = head)
          AND head NOT IN (SELECT rid FROM dbp WHERE rid = head)
        """
    )


def resolve(duck: Any, maxh: int, maxp: int, maxm: int) -> None:
    """Households, persons, moves and memberships to insert or update (ids assigned here).

    A new record's id is the highest id in the database plus the file row it comes from (the
    first row of the person or household): unique without sorting, gaps are harmless.
    """
    duck.execute("CREATE VIEW ok AS SELECT * FROM r WHERE err IS NULL")
    # One row per person: their first accepted row (only people with several rows aggregate).
    duck.execute(
        """
        CREATE TABLE fp AS
        WITH mf AS (
          SELECT rid, min(row_number) AS first, max(moved_on) AS moved_on
          FROM ok WHERE rid IN (SELECT rid FROM multi) GROUP BY rid)
        SELECT o.rid, o.name, o.head, o.birth_date, o.sex,
          coalesce(o.relation, CASE WHEN o.rid = o.head THEN '本人' ELSE '其他' END) AS relation,
          coalesce(mf.moved_on, o.moved_on) AS moved_on, o.row_number AS first,
          o.township, o.village, coalesce(o.urban, false) AS urban, o.address
        FROM ok o LEFT JOIN mf ON mf.rid = o.rid
        WHERE mf.rid IS NULL OR mf.first = o.row_number
        """
    )
    # Households: attributes from the head's own first row, else the household's first row.
    duck.execute(
        """
        CREATE TABLE fh AS
        SELECT head, first, township, village, urban, address FROM fp WHERE rid = head
        UNION ALL
        SELECT head, f.first, f.township, f.village, f.urban, f.address FROM (
          SELECT head, arg_min({'first': row_number, 'township': township, 'village': village,
              'urban': coalesce(urban, false), 'address': address}, row_number) AS f
          FROM ok WHERE head NOT IN (SELECT rid FROM fp WHERE rid = head) GROUP BY head)
        """
    )
    duck.execute(
        f"""
        CREATE TABLE hh AS SELECT f.*, d.id AS old_id,
          coalesce(d.id, {maxh} + f.first) AS id,
          d.id IS NOT NULL AND (f.township IS DISTINCT FROM d.township_code
            OR f.village IS DISTINCT FROM d.village_code OR f.urban IS DISTINCT FROM d.urban::BOOLEAN
            OR f.address IS DISTINCT FROM d.address) AS changed
        FROM fh f LEFT JOIN dbh d ON d.head = f.head
        """
    )
    duck.execute(
        f"""
        CREATE TABLE pp AS
        SELECT f.rid, f.name, f.relation, f.head, f.birth_date, f.sex, f.moved_on, f.first,
          h.id AS hid, d.id AS old_id, d.household_id AS old_hid,
          d.name AS old_name, d.relation AS old_relation,
          coalesce(d.id, {maxp} + f.first) AS id
        FROM fp f JOIN hh h ON h.head = f.head LEFT JOIN dbp d ON d.rid = f.rid
        """
    )
    attrs = ("valid_to", "source", "dibao_class", "orphan", "disability_type",
             "disability_grade", "relapsed", "medical_group")  # fmt: skip
    changed = " OR ".join(f"n.{a} IS DISTINCT FROM m.{a}" for a in attrs)
    duck.execute(
        f"""
        CREATE TABLE mm AS
        WITH n AS (
          SELECT o.row_number, p.id AS person_id, p.old_id AS old_person_id, o.category,
            o.valid_from,
            o.valid_to, coalesce(o.source, 'department_list') AS source, o.dibao_class,
            coalesce(o.orphan, false) AS orphan, o.disability_type,
            o.disability_grade::SMALLINT AS disability_grade,
            coalesce(o.relapsed, false) AS relapsed,
            coalesce(o.mg, {medical_default_sql("o.category", "coalesce(o.relapsed, false)")})
              AS medical_group
          FROM ok o JOIN pp p ON p.rid = o.rid WHERE o.category IS NOT NULL)
        SELECT n.*, m.id AS old_id, m.id IS NOT NULL AND ({changed}) AS changed,
          coalesce(m.id, {maxm} + n.row_number) AS id
        FROM n LEFT JOIN dbm m ON m.person_id = n.old_person_id AND m.category = n.category
          AND m.valid_from = n.valid_from
        """
    )
