"""One declarative spec per department feed — the single place that says what a feed file holds.

A spec names the sending department, every field (lake column name, the Chinese heading the
department uses, type, required flag, code list), the resident-ID key, the source record ID,
the event date and the cross-field rules. Readers, validation, templates, the ``feeds spec``
command and docs/feeds.md all read these objects; nothing else lists the columns.

>>> spec = get_spec("hospital")
>>> spec.field("icd10").heading, spec.event_date, spec.record_id
('诊断编码', 'admission_date', 'record_id')
>>> get_spec("disability").field("grade").codes["二级"]
'2'
>>> [f.name for f in get_spec("death").fields]
['record_id', 'resident_id', 'name', 'death_date']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from safetynet import codes

__all__ = [
    "REASONS",
    "SOURCES",
    "SPECS",
    "FeedRefused",
    "FeedSpec",
    "Field",
    "Kind",
    "default_max_length",
    "get_spec",
    "reason_text",
]

#: text: free text · resident_id: 身份证号 (normalised to 18 characters) · date: calendar date ·
#: amount: yuan, 2 decimals, ≥ 0 · code: one of a code list · grade: code list stored as a small
#: integer · icd10: an ICD-10 diagnosis code.
Kind = Literal["text", "resident_id", "date", "amount", "code", "grade", "icd10"]


class FeedRefused(ValueError):
    """A feed file cannot be read at all; the message (Chinese / English) names the problem."""


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a feed: lake name, Chinese heading, type, required flag and code list."""

    name: str
    heading: str
    kind: Kind
    required: bool = False
    label_en: str = ""
    #: Accepted file values → lake code (Chinese names; the codes themselves are added too).
    codes: dict[str, str] = field(default_factory=dict)
    #: Longest value accepted, in characters (after trimming); 0 = the default of the kind
    #: (:func:`default_max_length`). A longer value is quarantined (reason ``too_long``).
    max_length: int = 0

    def __post_init__(self) -> None:
        if not self.max_length:
            object.__setattr__(self, "max_length", default_max_length(self))

    @property
    def allowed(self) -> list[str]:
        """The lake codes this field may take, in spec order (empty for free fields)."""
        return list(dict.fromkeys(self.codes.values()))

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.name,
            "heading": self.heading,
            "label_en": self.label_en,
            "type": self.kind,
            "required": self.required,
            "allowed_codes": self.allowed,
            "code_map": dict(self.codes),
            "max_length": self.max_length,
        }


#: Default longest values (characters), by field name and then by kind; see docs/feeds.md.
MAX_LENGTHS = {
    "record_id": 64,  # record IDs
    "name": 50,  # a person's name
    "text": 1000,  # free text
    "resident_id": 32,  # 18 characters once spaces and separators are removed
    "date": 32,  # "2024-01-05T08:00:00+08:00" and the like
    "amount": 32,
    "icd10": 12,  # A00.0000X001: letter, 2 digits, dot, 4 characters, X and 3 digits
}


def default_max_length(f: Field) -> int:
    """The default longest value of ``f``: by name (record ID 64, name 50), code lists their
    longest accepted spelling, then by kind (free text 1,000).

    >>> default_max_length(Field("record_id", "住院号", "text"))
    64
    >>> default_max_length(Field("level", "层次", "code", codes=_codes({"本科": "undergraduate"})))
    13
    """
    if f.name in MAX_LENGTHS:
        return MAX_LENGTHS[f.name]
    if f.kind in ("code", "grade") and f.codes:
        return max(len(k) for k in f.codes)
    return MAX_LENGTHS.get(f.kind, MAX_LENGTHS["text"])


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A department feed: who sends it, its fields and rules."""

    source: str
    title_zh: str
    title_en: str
    department_zh: str
    department_en: str
    fields: tuple[Field, ...]
    event_date: str
    record_id: str = "record_id"
    resident_id: str = "resident_id"
    #: ((parts…), total): the parts' sum must not exceed the total.
    sums_within: tuple[tuple[tuple[str, ...], str], ...] = ()
    #: (later, earlier): ``later`` may not be before ``earlier``.
    not_before: tuple[tuple[str, str], ...] = ()
    #: Extra lake columns derived during ingestion (name → Arrow type name).
    derived: tuple[tuple[str, str], ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def headings(self) -> list[str]:
        return [f.heading for f in self.fields]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "department": {"zh": self.department_zh, "en": self.department_en},
            "record_id": self.record_id,
            "resident_id": self.resident_id,
            "event_date": self.event_date,
            "fields": [f.as_json() for f in self.fields],
            "rules": {
                "sums_within": [{"parts": list(p), "total": t} for p, t in self.sums_within],
                "not_before": [{"field": a, "not_before": b} for a, b in self.not_before],
            },
            "derived": [{"field": n, "type": t} for n, t in self.derived],
        }


def _codes(pairs: dict[str, str]) -> dict[str, str]:
    """Chinese names → code, plus each code (and its upper-case form) mapping to itself."""
    out = dict(pairs)
    for code in pairs.values():
        out.setdefault(code, code)
        out.setdefault(code.upper(), code)
    return out


def _names(labels: dict[str, str], keep: tuple[str, ...] | None = None) -> dict[str, str]:
    """Chinese name → code for a code list of :mod:`safetynet.codes` (optionally a subset)."""
    return {labels[code]: code for code in (keep if keep is not None else tuple(labels))}


def _common(record_heading: str, record_en: str) -> tuple[Field, ...]:
    return (
        Field("record_id", record_heading, "text", True, record_en),
        Field("resident_id", "身份证号", "resident_id", True, "resident ID number"),
        Field("name", "姓名", "text", True, "name"),
    )


_GRADES = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}
_GRADES |= {f"{v}级": v for v in _GRADES.values()}

SPECS: dict[str, FeedSpec] = {
    s.source: s
    for s in (
        FeedSpec(
            "hospital", "住院", "hospitalisation", "医疗保障局", "Medical Security Bureau",
            (
                *_common("住院号", "admission number"),
                Field("admission_date", "入院日期", "date", True, "admission date"),
                Field("discharge_date", "出院日期", "date", False, "discharge date"),
                Field("hospital", "医疗机构", "text", True, "hospital", max_length=100),
                Field("icd10", "诊断编码", "icd10", True, "diagnosis (ICD-10)"),
                Field("total_cost", "总费用", "amount", True, "total cost"),
                Field("policy_cost", "政策范围内费用", "amount", False, "policy-scope cost"),
                Field("basic_paid", "基本医保支付", "amount", False, "basic insurance paid"),
                Field("critical_paid", "大病保险支付", "amount", False, "critical-illness paid"),
                Field("oop", "个人自付", "amount", False, "in-policy out-of-pocket"),
            ),
            event_date="admission_date",
            sums_within=(
                (("policy_cost",), "total_cost"),
                (("basic_paid", "critical_paid", "oop"), "policy_cost"),
            ),
            not_before=(("discharge_date", "admission_date"),),
        ),
        FeedSpec(
            "disease", "慢病和重大疾病登记", "chronic and major disease registration",
            "卫生健康委员会", "Health Commission",
            (
                *_common("登记编号", "registration number"),
                Field("icd10", "诊断编码", "icd10", True, "diagnosis (ICD-10)"),
                Field("disease_name", "疾病名称", "text", False, "disease name", max_length=200),
                Field("registration_date", "登记日期", "date", True, "registration date"),
            ),
            event_date="registration_date",
            derived=(("major_disease", "bool"),),
        ),
        FeedSpec(
            "university", "高考录取", "university admission", "教育厅", "Education Department",
            (
                *_common("考生号", "candidate number"),
                Field("school", "录取院校", "text", True, "school", max_length=100),
                Field(
                    "level", "层次", "code", True, "level",
                    _codes(_names(codes.UNIVERSITY_LEVELS)),
                ),
                Field("admission_date", "录取日期", "date", True, "admission date"),
                Field("tuition", "学费", "amount", False, "tuition"),
            ),
            event_date="admission_date",
        ),
        FeedSpec(
            "disability", "残疾人证", "disability certificate",
            "残疾人联合会", "Disabled Persons' Federation",
            (
                *_common("残疾人证号", "certificate number"),
                Field(
                    "disability_type", "残疾类别", "code", True, "disability type",
                    _codes(_names(codes.DISABILITY_TYPES)),
                ),
                Field("grade", "残疾等级", "grade", True, "grade (1–4)", _codes(_GRADES)),
                Field("issue_date", "发证日期", "date", True, "issue date"),
            ),
            event_date="issue_date",
        ),
        FeedSpec(
            "unemployment", "新增失业登记", "new unemployment registration",
            "人力资源和社会保障厅", "Human Resources and Social Security Department",
            (
                *_common("登记编号", "registration number"),
                Field("registration_date", "失业登记日期", "date", True, "registration date"),
            ),
            event_date="registration_date",
        ),
        FeedSpec(
            "relapse", "防返贫监测", "poverty-relapse monitoring",
            "乡村振兴局", "Rural Revitalisation Bureau",
            (
                *_common("监测编号", "monitoring number"),
                Field(
                    "subtype", "监测类型", "code", True, "subtype",
                    _codes(_names(codes.CATEGORIES, codes.RELAPSE_SUBTYPES)),
                ),
                Field(
                    "reason", "风险类型", "code", True, "risk reason",
                    _codes(_names(codes.RELAPSE_REASONS)),
                ),
                Field("change_date", "变更日期", "date", True, "change date"),
            ),
            event_date="change_date",
        ),
        FeedSpec(
            "death", "死亡登记", "death registration",
            "公安厅（户籍）", "Public Security Department (civil registry)",
            (
                *_common("死亡证明编号", "death certificate number"),
                Field("death_date", "死亡日期", "date", True, "date of death"),
            ),
            event_date="death_date",
        ),
    )
}  # fmt: skip

#: The feed sources, in the order of :data:`safetynet.codes.FEED_SOURCES` (one spec each).
SOURCES: tuple[str, ...] = codes.FEED_SOURCES
if tuple(SPECS) != SOURCES:  # pragma: no cover - a spec added without its code, or the reverse
    raise RuntimeError(f"feed specs {tuple(SPECS)} differ from codes.FEED_SOURCES {SOURCES}")

#: Reason code → (Chinese, English); every quarantined value carries one of these.
REASONS: dict[str, tuple[str, str]] = {
    "missing": ("必填项为空", "required value missing"),
    "id_format": ("身份证号格式错误", "malformed resident ID"),
    "id_birth_date": ("身份证号中的出生日期无效", "invalid birth date in resident ID"),
    "id_check_digit": ("身份证号校验位错误", "wrong check digit"),
    "date": ("日期无效", "not a valid date"),
    "date_range": ("日期早于1900年或晚于今天", "date before 1900 or after today"),
    "date_after_month": ("事件日期晚于报送月份", "event date after the reporting month"),
    "date_order": ("日期早于{other}", "date is before {other_en}"),
    "amount": ("金额格式错误", "not a valid amount"),
    "amount_negative": ("金额为负数", "negative amount"),
    "amount_decimals": ("金额超过两位小数", "more than two decimal places"),
    "amount_too_large": ("金额过大", "amount too large"),
    "amount_sum": ("{parts}之和超过{total}", "{parts_en} exceed {total_en}"),
    "code": ("不在代码表内（允许：{allowed}）", "not an allowed code (allowed: {allowed})"),
    "icd10": ("诊断编码不是ICD-10格式", "not an ICD-10 code"),
    "duplicate": ("记录编号在文件中重复", "record ID repeated in the file"),
    "columns_short": (
        "列数不足（行不完整或被截断）",
        "too few columns (incomplete or truncated row)",
    ),
    "columns_long": ("列数过多", "too many columns"),
    "encoding": ("字符编码损坏（文件可能被截断）", "broken characters (file may be truncated)"),
    "control_char": (
        "含有控制字符（如NUL、ESC），已显示为\\xNN",
        "contains a control character (NUL, ESC …), shown as \\xNN",
    ),
    "too_long": ("超过{max}个字符", "longer than {max} characters"),
}


def reason_text(code: str, **params: str) -> tuple[str, str]:
    """The Chinese and English text of a reason code, with its placeholders filled.

    >>> reason_text("date_order", other="入院日期", other_en="admission date")
    ('日期早于入院日期', 'date is before admission date')
    """
    zh, en = REASONS[code]
    return zh.format(**params), en.format(**params)


def get_spec(source: str) -> FeedSpec:
    """The spec of ``source``; an unknown source raises ``KeyError`` naming the known ones."""
    try:
        return SPECS[source]
    except KeyError:
        raise KeyError(
            f"未知数据来源 / unknown source {source!r}; known: {', '.join(SOURCES)}"
        ) from None
