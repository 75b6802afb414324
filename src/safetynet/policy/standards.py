"""Regional standards as dated data: the figures each county sets, urban and rural.

A *standard row* is one figure of one county and area (urban or rural) from a date on:

=====================  ==========================================================  ========
kind                   meaning                                                     unit
=====================  ==========================================================  ========
``dibao``              monthly dibao standard (低保标准), per person                yuan/month
``tekun``              tekun basic-living standard (特困人员基本生活标准)          yuan/month
``disposable_income``  previous year's per-capita disposable income (上年人均可支配收入)  yuan/year
``deposit_multiple``   deposits per person ≤ this × the annual dibao standard      multiple
``vehicle_value``      total value of the household's vehicles ≤ this               yuan
``homes``              number of homes ≤ this                                      count
=====================  ==========================================================  ========

A :class:`StandardSet` holds the rows; :meth:`StandardSet.resolve` gives the
:class:`Standard` in force for one county, area and date — every kind from its latest row on
or before the date — and raises a clear error when a kind has no row (never a silent default).

>>> rows = [StandardRow("620102", True, k, Decimal(v), date(2024, 1, 1), "test")
...         for k, v in [("dibao", "770"), ("tekun", "1001"), ("disposable_income", "40879"),
...                      ("deposit_multiple", "2"), ("vehicle_value", "50000"), ("homes", "1")]]
>>> rows.append(StandardRow("620102", True, "dibao", Decimal("800"), date(2024, 7, 1), "test"))
>>> s = StandardSet(rows)
>>> s.resolve("620102", True, date(2024, 6, 30)).dibao, s.resolve("620102", True, date(2024, 7, 1)).dibao
(Decimal('770.00'), Decimal('800.00'))
>>> s.resolve("620102", False, date(2024, 7, 1))
Traceback (most recent call last):
...
safetynet.policy._money.CalcError: 县区 620102（农村）没有认定标准 / no standards for county 620102 (rural): import them with safetynet standards import
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from safetynet.policy._money import CalcError

__all__ = [
    "AREAS",
    "KINDS",
    "KIND_NAMES",
    "Standard",
    "StandardRow",
    "StandardSet",
    "parse_area",
    "parse_row",
]

KINDS = ("dibao", "tekun", "disposable_income", "deposit_multiple", "vehicle_value", "homes")
KIND_NAMES = {
    "dibao": "低保标准（元/人·月）",
    "tekun": "特困人员基本生活标准（元/人·月）",
    "disposable_income": "上年居民人均可支配收入（元/年）",
    "deposit_multiple": "人均存款上限（年低保标准的倍数）",
    "vehicle_value": "车辆总价值上限（元）",
    "homes": "住房套数上限",
}
_KIND_WORDS = {k: k for k in KINDS} | {
    "低保标准": "dibao",
    "特困供养标准": "tekun",
    "特困人员基本生活标准": "tekun",
    "人均可支配收入": "disposable_income",
    "上年人均可支配收入": "disposable_income",
    "存款倍数": "deposit_multiple",
    "车辆价值": "vehicle_value",
    "住房套数": "homes",
}
#: area code → whether urban
AREAS = {"urban": True, "rural": False}
_AREA_WORDS = {"urban": True, "城镇": True, "城市": True, "rural": False, "农村": False}
#: the largest figure a standard can take (yuan); above is a typing error
MAX_AMOUNT = Decimal("100000000")
CENT = Decimal("0.01")


def parse_area(value: Any) -> bool | None:
    """``urban``/城镇/城市 → True, ``rural``/农村 → False, anything else → None.

    >>> parse_area("城镇"), parse_area("rural"), parse_area("乡下")
    (True, False, None)
    """
    if isinstance(value, bool):
        return value
    return _AREA_WORDS.get(str(value).strip()) if value is not None else None


@dataclass(frozen=True, slots=True)
class StandardRow:
    """One dated figure of one county and area."""

    county: str
    urban: bool
    kind: str
    amount: Decimal
    valid_from: date
    reference: str


#: reason code → (field, reason_zh, reason_en)
REASONS: dict[str, tuple[str, str, str]] = {
    "county_missing": ("county_code", "县区代码为空", "county code is missing"),
    "county_format": ("county_code", "县区代码应为6位县级代码", "county code must be a 6-digit county-level code"),
    "county_unknown": ("county_code", "县区代码不在区划表中", "county code is not in the division table"),
    "area": ("area", "城乡应为 城镇 或 农村", "area must be urban (城镇) or rural (农村)"),
    "kind": ("kind", "标准种类不在代码表中", "kind is not one of " + ", ".join(KINDS)),
    "amount": ("amount", "金额应为不小于0的数字，最多两位小数", "amount must be a number ≥ 0 with at most 2 decimals"),
    "amount_whole": ("amount", "住房套数应为整数", "homes must be a whole number"),
    "valid_from": ("valid_from", "起始日期无效（YYYY-MM-DD）", "valid_from is not a date (YYYY-MM-DD)"),
    "reference": ("reference", "依据为空或过长（最多300字）", "reference is missing or longer than 300 characters"),
    "duplicate": ("valid_from", "同一县区、城乡、种类和起始日期在文件中重复", "the same county, area, kind and date appear twice in the file"),
}  # fmt: skip


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for sep in ("/", "."):
        text = text.replace(sep, "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    parts = text.split("-")
    try:
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    return None


def parse_row(
    county: Any, area: Any, kind: Any, amount: Any, valid_from: Any, reference: Any
) -> StandardRow | str:
    """Check one row of a standards file; return the row or the first reason code (:data:`REASONS`).

    >>> parse_row("620102", "城镇", "低保标准", "770", "2024-01-01", "甘民发〔2023〕")
    StandardRow(county='620102', urban=True, kind='dibao', amount=Decimal('770.00'), valid_from=datetime.date(2024, 1, 1), reference='甘民发〔2023〕')
    >>> parse_row("6201", "城镇", "dibao", "770", "2024-01-01", "x"), parse_row("620102", "城镇", "homes", "1.5", "2024-01-01", "x")
    ('county_format', 'amount_whole')
    """
    from safetynet.regions.tree import Level, RegionCodeError, canonical, level_of

    text = str(county or "").strip()
    if not text:
        return "county_missing"
    try:
        code = canonical(text)
    except RegionCodeError:
        return "county_format"
    if level_of(code) != Level.COUNTY:
        return "county_format"
    urban = parse_area(area)
    if urban is None:
        return "area"
    kind_code = _KIND_WORDS.get(str(kind or "").strip())
    if kind_code is None:
        return "kind"
    try:
        value = Decimal(str(amount).strip().replace(",", ""))
    except InvalidOperation:
        return "amount"
    if (
        not value.is_finite()
        or value < 0
        or value > MAX_AMOUNT
        or value != value.quantize(Decimal("0.01"))
    ):
        return "amount"
    if kind_code == "homes" and value != value.to_integral_value():
        return "amount_whole"
    day = _date(valid_from)
    if day is None:
        return "valid_from"
    ref = str(reference or "").strip()
    if not ref or len(ref) > 300:
        return "reference"
    return StandardRow(code, urban, kind_code, value.quantize(Decimal("0.01")), day, ref)


@dataclass(frozen=True, slots=True)
class Standard:
    """Every figure in force for one county and area on one day (yuan, multiple, count)."""

    county: str
    urban: bool
    on: date
    dibao: Decimal
    tekun: Decimal
    disposable_income: Decimal
    deposit_multiple: Decimal
    vehicle_value: Decimal
    homes: int
    valid_from: dict[str, date]
    references: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        """The ``standard`` object of the ``eligibility check`` output."""
        return {
            "county": self.county,
            "urban": self.urban,
            "dibao": self.dibao,
            "tekun": self.tekun,
            "disposable_income": self.disposable_income,
            "deposit_multiple": self.deposit_multiple,
            "vehicle_value": self.vehicle_value,
            "homes": self.homes,
            "valid_from": {k: d.isoformat() for k, d in self.valid_from.items()},
        }


class StandardSet:
    """Dated standard rows by (county, urban, kind); ``version`` is a content hash."""

    def __init__(self, rows: Iterable[StandardRow]) -> None:
        series: dict[tuple[str, bool, str], dict[date, StandardRow]] = {}
        for r in rows:
            series.setdefault((r.county, r.urban, r.kind), {})[r.valid_from] = r
        self._series = {
            key: tuple(by_date[d] for d in sorted(by_date)) for key, by_date in series.items()
        }
        self._dates = {key: tuple(r.valid_from for r in rs) for key, rs in self._series.items()}
        canon = sorted(
            [r.county, r.urban, r.kind, str(r.amount), r.valid_from.isoformat()]
            for rs in self._series.values()
            for r in rs
        )
        self.version: str = hashlib.sha256(json.dumps(canon).encode()).hexdigest()[:16]

    def __len__(self) -> int:
        return sum(len(rs) for rs in self._series.values())

    def __repr__(self) -> str:
        return f"<StandardSet {len(self)} rows, version {self.version}>"

    def rows(self) -> list[StandardRow]:
        return [r for key in sorted(self._series) for r in self._series[key]]

    def areas(self) -> list[tuple[str, bool]]:
        """Every (county, urban) that has at least one row."""
        return sorted({(c, u) for c, u, _k in self._series})

    def merged(self, other: StandardSet) -> StandardSet:
        """This set with ``other``'s series replacing those of the same county, area and kind
        (the what-if of ``eligibility simulate --standards``)."""
        keep = [r for key, rs in self._series.items() if key not in other._series for r in rs]
        return StandardSet([*keep, *other.rows()])

    def row(self, county: str, urban: bool, kind: str, on: date) -> StandardRow | None:
        key = (county, urban, kind)
        dates = self._dates.get(key)
        if not dates:
            return None
        i = bisect_right(dates, on)
        return self._series[key][i - 1] if i else None

    def resolve(self, county: str, urban: bool, on: date) -> Standard:
        """The standard in force for ``county`` (6 digits), urban or rural, on ``on``."""
        area = "城镇" if urban else "农村"
        where = f"县区 {county}（{area}）"
        if not any((county, urban, k) in self._series for k in KINDS):
            raise CalcError(
                f"{where}没有认定标准 / no standards for county {county} "
                f"({'urban' if urban else 'rural'}): import them with safetynet standards import"
            )
        found: dict[str, StandardRow] = {}
        for kind in KINDS:
            r = self.row(county, urban, kind, on)
            if r is None:
                raise CalcError(
                    f"{where}在 {on} 没有适用的“{KIND_NAMES[kind]}” / no {kind} standard for "
                    f"county {county} ({'urban' if urban else 'rural'}) in force on {on}"
                )
            found[kind] = r
        return Standard(
            county=county,
            urban=urban,
            on=on,
            dibao=found["dibao"].amount.quantize(CENT),
            tekun=found["tekun"].amount.quantize(CENT),
            disposable_income=found["disposable_income"].amount.quantize(CENT),
            deposit_multiple=found["deposit_multiple"].amount.quantize(CENT),
            vehicle_value=found["vehicle_value"].amount.quantize(CENT),
            homes=int(found["homes"].amount),
            valid_from={k: r.valid_from for k, r in found.items()},
            references={k: r.reference for k, r in found.items()},
        )
