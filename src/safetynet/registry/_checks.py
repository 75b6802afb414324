"""Row checks of the registry import as DuckDB SQL, and the reasons they give.

Every check is an error code with the field it blames and a reason in Chinese and English;
``{d}`` in a reason is replaced by the row's detail (a row number, a household …).
"""

from __future__ import annotations

from collections.abc import Mapping

from safetynet.registry import categories as cat
from safetynet.registry._reader import FIELDS
from safetynet.registry.rules import EXCLUSIVE

__all__ = [
    "ERRORS",
    "case_map",
    "exclusive_sql",
    "medical_default_sql",
    "overlap_sql",
    "row_error_sql",
]

#: code → (field, reason_zh, reason_en)
ERRORS: dict[str, tuple[str, str, str]] = {
    "rid_missing": ("resident_id", "身份证号为空", "resident ID is missing"),
    "rid_format": (
        "resident_id",
        "身份证号格式错误（应为18位）",
        "resident ID format is wrong (18 characters expected)",
    ),
    "rid_birth_date": (
        "resident_id",
        "身份证号中的出生日期无效",
        "the birth date inside the resident ID is not valid",
    ),
    "rid_check_digit": (
        "resident_id",
        "身份证号校验位错误",
        "wrong check digit in the resident ID",
    ),
    "name_missing": ("name", "姓名为空", "name is missing"),
    "name_long": ("name", "姓名过长（最多50字）", "name is longer than 50 characters"),
    "head_missing": ("head_resident_id", "户主身份证号为空", "head's resident ID is missing"),
    "head_invalid": ("head_resident_id", "户主身份证号无效", "head's resident ID is not valid"),
    "relation_unknown": (
        "relation",
        "与户主关系不在代码表中",
        "relation to the head is not on the code list",
    ),
    "relation_head": (
        "relation",
        "户主本人的与户主关系应为“本人”",
        "the head's own row must say 本人 (self)",
    ),
    "relation_self": ("relation", "非户主不能填“本人”", "only the head can be 本人 (self)"),
    "township_missing": ("township_code", "乡镇代码为空", "township code is missing"),
    "township_format": ("township_code", "乡镇代码应为9位数字", "township code must be 9 digits"),
    "township_unknown": (
        "township_code",
        "乡镇代码不在区划表中",
        "township code is not in the division table",
    ),
    "village_format": (
        "village_code",
        "村社区代码应为12位数字且属于该乡镇",
        "village code must be 12 digits inside the township",
    ),
    "urban_unknown": ("urban_rural", "城乡应填“城镇”或“农村”", "urban/rural must be 城镇 or 农村"),
    "address_long": ("address", "地址过长（最多200字）", "address is longer than 200 characters"),
    "category_unknown": ("category", "类别不在代码表中", "category is not on the code list"),
    "valid_from_missing": (
        "valid_from",
        "有类别时认定日期必填",
        "a category needs its start date (认定日期)",
    ),
    "valid_from_bad": ("valid_from", "认定日期无法识别", "start date is not a valid date"),
    "valid_from_before_birth": (
        "valid_from",
        "认定日期早于出生日期",
        "start date is before the birth date",
    ),
    "valid_to_bad": ("valid_to", "退出日期无法识别", "end date is not a valid date"),
    "valid_to_before_from": (
        "valid_to",
        "退出日期早于认定日期",
        "end date is before the start date",
    ),
    "source_unknown": ("source", "认定来源不在代码表中", "source is not on the code list"),
    "dibao_class_unknown": (
        "dibao_class",
        "低保类别不在代码表中",
        "dibao class is not on the code list",
    ),
    "dibao_class_not_dibao": (
        "dibao_class",
        "低保类别只适用于低保对象",
        "a dibao class applies to dibao members only",
    ),
    "orphan_bad": ("orphan", "孤儿应填“是”或“否”", "orphan must be 是 or 否"),
    "disability_type_unknown": (
        "disability_type",
        "残疾类别不在代码表中",
        "disability type is not on the code list",
    ),
    "disability_grade_bad": (
        "disability_grade",
        "残疾等级应为1–4级",
        "disability grade must be 1 to 4",
    ),
    "relapsed_bad": ("relapsed", "返贫致贫应填“是”或“否”", "relapsed must be 是 or 否"),
    "medical_group_unknown": (
        "medical_group",
        "医疗救助类别不在代码表中",
        "medical-assistance group is not on the code list",
    ),
    "moved_on_bad": ("moved_on", "迁入日期无法识别", "move date is not a valid date"),
    "duplicate_row": (
        "category",
        "与第{d}行重复（同一人、类别、认定日期）",
        "duplicates row {d} (same person, category and start date)",
    ),
    "person_conflict": (
        "head_resident_id",
        "同一人在第{d}行属于另一户",
        "the same person is in another household in row {d}",
    ),
    "overlap_file": (
        "category",
        "特困人员与低保对象时间重叠（见第{d}行）",
        "tekun and dibao intervals overlap (see row {d})",
    ),
    "overlap_db": (
        "category",
        "与已登记的{d}时间重叠（特困与低保不能同时享受）",
        "overlaps the registered {d} (tekun and dibao exclude each other)",
    ),
    "other_household": (
        "head_resident_id",
        "此人已在户{d}中；迁入其他户须填迁入日期",
        "already in household {d}; a move date (迁入日期) is required",
    ),
    "move_before_last": (
        "moved_on",
        "迁入日期早于此人已登记的最近一次迁居（{d}）",
        "the move date is before this person's last recorded move ({d})",
    ),
    "head_unregistered": (
        "head_resident_id",
        "户主未登记（户主本人须有一行）",
        "head of household not registered (the head needs a row)",
    ),
}


for _field in FIELDS:  # one code per field: a reject names the field it blames
    ERRORS[f"ctl_{_field}"] = (
        _field,
        "含有控制字符（如NUL、ESC），已显示为\\xNN",
        "contains a control character (NUL, ESC …), shown as \\xNN",
    )


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lit(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return _q(str(value))


def case_map(expr: str, table: Mapping[str, object]) -> str:
    """``CASE lower(expr) WHEN spelling THEN code … END`` for a code-list lookup.

    >>> case_map("x", {"是": True})
    "(CASE lower(x) WHEN '是' THEN TRUE END)"
    """
    whens = " ".join(f"WHEN {_q(k)} THEN {_lit(v)}" for k, v in table.items())
    return f"(CASE lower({expr}) {whens} END)"


def medical_default_sql(category: str, relapsed: str) -> str:
    """SQL twin of :func:`safetynet.registry.rules.default_medical_group`."""
    relapse = ", ".join(_q(c) for c in cat.RELAPSE_SUBTYPES)
    return (
        f"(CASE WHEN {category} IN ('tekun', 'dibao', 'dibao_edge') THEN {category} "
        f"WHEN {category} IN ({relapse}) THEN (CASE WHEN {relapsed} THEN 'relapsed' ELSE 'prone' END) "
        "ELSE 'none' END)"
    )


def overlap_sql(a: str, b: str) -> str:
    """SQL twin of :func:`safetynet.registry.rules.overlaps` for the intervals
    ``{a}.valid_from``–``{a}.valid_to`` and ``{b}…`` (``valid_to`` NULL = open)."""
    return (
        f"({b}.valid_to IS NULL OR {a}.valid_from <= {b}.valid_to) "
        f"AND ({a}.valid_to IS NULL OR {b}.valid_from <= {a}.valid_to)"
    )


def exclusive_sql() -> str:
    return ", ".join(_q(c) for c in sorted(EXCLUSIVE))


def row_error_sql() -> str:
    """A CASE giving the first failing single-row check (columns of the parsed row ``p``)."""
    checks = [
        ("p.rid_raw IS NULL", "rid_missing"),
        ("p.rid_err = 'format'", "rid_format"),
        ("p.rid_err = 'birth_date'", "rid_birth_date"),
        ("p.rid_err = 'check_digit'", "rid_check_digit"),
        ("p.name IS NULL", "name_missing"),
        ("length(p.name) > 50", "name_long"),
        ("p.head_raw IS NULL", "head_missing"),
        ("p.head IS NULL", "head_invalid"),
        ("p.relation_raw IS NOT NULL AND p.relation IS NULL", "relation_unknown"),
        ("p.rid = p.head AND coalesce(p.relation, '本人') <> '本人'", "relation_head"),
        ("p.rid <> p.head AND p.relation = '本人'", "relation_self"),
        ("p.township IS NULL", "township_missing"),
        ("NOT regexp_full_match(p.township, '[0-9]{9}')", "township_format"),
        ("NOT p.township_known", "township_unknown"),
        (
            "p.village IS NOT NULL AND NOT (regexp_full_match(p.village, '[0-9]{12}') "
            "AND left(p.village, 9) = p.township)",
            "village_format",
        ),
        ("p.urban_raw IS NOT NULL AND p.urban IS NULL", "urban_unknown"),
        ("length(p.address) > 200", "address_long"),
        ("p.category_raw IS NOT NULL AND p.category IS NULL", "category_unknown"),
        ("p.category IS NOT NULL AND p.valid_from_raw IS NULL", "valid_from_missing"),
        ("p.valid_from_raw IS NOT NULL AND p.valid_from IS NULL", "valid_from_bad"),
        ("p.valid_from < p.birth_date", "valid_from_before_birth"),
        ("p.valid_to_raw IS NOT NULL AND p.valid_to IS NULL", "valid_to_bad"),
        ("p.valid_to < p.valid_from", "valid_to_before_from"),
        ("p.source_raw IS NOT NULL AND p.source IS NULL", "source_unknown"),
        ("p.dibao_class_raw IS NOT NULL AND p.dibao_class IS NULL", "dibao_class_unknown"),
        (
            "p.dibao_class IS NOT NULL AND p.category IS DISTINCT FROM 'dibao'",
            "dibao_class_not_dibao",
        ),
        ("p.orphan_raw IS NOT NULL AND p.orphan IS NULL", "orphan_bad"),
        ("p.dtype_raw IS NOT NULL AND p.disability_type IS NULL", "disability_type_unknown"),
        ("p.grade_raw IS NOT NULL AND p.disability_grade IS NULL", "disability_grade_bad"),
        ("p.relapsed_raw IS NOT NULL AND p.relapsed IS NULL", "relapsed_bad"),
        ("p.mg_raw IS NOT NULL AND p.mg IS NULL", "medical_group_unknown"),
        ("p.moved_raw IS NOT NULL AND p.moved_on IS NULL", "moved_on_bad"),
    ]
    whens = " ".join(f"WHEN {cond} THEN '{code}'" for cond, code in checks)
    # a control character first: the value is shown escaped and no other check is meaningful
    return f"(CASE WHEN p.ctl IS NOT NULL THEN 'ctl_' || p.ctl {whens} END)"
