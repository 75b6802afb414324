"""Explanations: the lines that add a household's hits, identity factor and bonus up to its score.

Pure rules (no framework). The numbers are recomputed here in Decimal from the same milli units
the SQL used, and must give the SQL's score; a mismatch is a bug and raises. Explanations are
stored on the warning and shown to officers, so a person appears in them by masked resident ID
only, and a feed record by an irreversible reference (``ref``, in production
:func:`safetynet.output.record_ref` under the instance's key): departments' record IDs often
embed the resident ID. The
full IDs stay in ``warning_evidence``, beside the record they came from.

>>> hits = [
...     {"indicator": "hospital", "record_id": "Z1", "resident_id": "620102198001011233",
...      "mkey": None, "amount": Decimal("12000.00"), "weight": 30000, "modifier": 1500},
...     {"indicator": "university", "record_id": "K1", "resident_id": "62010220060301002X",
...      "mkey": "undergraduate", "amount": None, "weight": 15000, "modifier": 1000},
... ]
>>> e = explain_household(hits, identity="dibao_edge", factor=1500, bonus=10000,
...                       thresholds={"blue": 30, "yellow": 45, "orange": 65, "red": 90},
...                       ref=lambda source, record_id: f"R-{source}")
>>> e["score"], e["level"], e["base"], e["bonus_points"], e["hits"][0]["record"]
(100, 'red', '60', '10', 'R-hospital')
>>> print("\\n".join(e["lines"]))
住院 hospital · 620102********1233 · 个人自付 12000.00 元: 30 × 1.5 = 45
高考录取 university · 620102********002X · undergraduate: 15 × 1 = 15
身份系数 低保边缘人口 dibao_edge: 1.5 × 60 = 90
叠加加分 overlap bonus: 10 × (2 − 1) = 10
得分 score: 90 + 10 = 100 → 红色 red (≥ 90)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from safetynet.monitoring.params import (
    CATEGORY_LABELS,
    INDICATOR_LABELS,
    INDICATORS,
    LEVEL_LABELS,
    LEVELS,
)
from safetynet.output import mask_id

__all__ = ["explain_household", "fmt", "level_rank", "score_of"]

THOUSAND = Decimal(1000)
_ORDER = {name: i for i, name in enumerate(INDICATORS)}
_LABELS = {name: f"{INDICATOR_LABELS.get(name, name)} {name}" for name in INDICATORS}


@lru_cache(maxsize=65536)  # weights, modifiers and points repeat across households
def fmt(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros.

    >>> fmt(Decimal("60.000")), fmt(Decimal("1.500")), fmt(Decimal("0"))
    ('60', '1.5', '0')
    """
    text = format(value.normalize(), "f")
    return text


@lru_cache(maxsize=4096)
def _hit_numbers(weight: int, modifier: int) -> tuple[Decimal, str, str, str]:
    """Points of a hit (Decimal) and the texts of weight, modifier and points, from milli units.

    >>> _hit_numbers(30000, 1500)
    (Decimal('45.0'), '30', '1.5', '45')
    """
    w = Decimal(weight) / THOUSAND
    m = Decimal(modifier) / THOUSAND
    pts = w * m
    return pts, fmt(w), fmt(m), fmt(pts)


def level_rank(level: str | None) -> int:
    """0 for no level, 1 blue … 4 red.

    >>> level_rank("orange") > level_rank("yellow") > level_rank(None)
    True
    """
    return 0 if level is None else LEVELS.index(level) + 1


def score_of(points_micro: Iterable[int], n_indicators: int, factor: int, bonus: int) -> int:
    """round(factor × Σ base points + bonus × (n − 1)), half up, from milli/micro integers.

    >>> score_of([45_000_000, 15_000_000], 2, 1500, 10000)
    100
    """
    nano = factor * sum(points_micro) + bonus * 1_000_000 * (n_indicators - 1)
    return (nano + 500_000_000) // 1_000_000_000


def _severity(hit: Mapping[str, Any]) -> str:
    indicator, key, amount = hit["indicator"], hit.get("mkey"), hit.get("amount")
    if indicator == "hospital":
        return f"个人自付 {Decimal(amount or 0):.2f} 元"
    if indicator == "disease":
        return "重大疾病 major" if key == "major" else "慢性病 chronic"
    if indicator == "disability" and key:
        return f"{key.removeprefix('grade_')} 级 grade"
    return str(key) if key else ""


def _level(score: int, thresholds: Mapping[str, int]) -> str | None:
    found = None
    for level in LEVELS:
        if score >= thresholds[level]:
            found = level
    return found


def explain_household(
    hits: Iterable[Mapping[str, Any]],
    *,
    identity: str,
    factor: int,
    bonus: int,
    thresholds: Mapping[str, int],
    ref: Callable[[str, str], str],
) -> dict[str, Any]:
    """The explanation of one household-month: hits, factor, bonus, score, level and lines.

    ``ref(source, record_id)`` names a feed record without showing its ID."""
    rows = sorted(
        hits, key=lambda h: (_ORDER.get(h["indicator"], 99), h["resident_id"], h["record_id"])
    )
    f = Decimal(factor) / THOUSAND
    b = Decimal(bonus) / THOUSAND
    lines: list[str] = []
    out_hits: list[dict[str, Any]] = []
    total = Decimal(0)
    for h in rows:
        pts, ws, ms, ps = _hit_numbers(int(h["weight"]), int(h["modifier"]))
        total += pts
        sev = _severity(h)
        label = _LABELS.get(h["indicator"]) or f"{h['indicator']} {h['indicator']}"
        where = f" · {sev}" if sev else ""
        person = mask_id(h["resident_id"])
        lines.append(f"{label} · {person}{where}: {ws} × {ms} = {ps}")
        out_hits.append(
            {
                "indicator": h["indicator"],
                "record": ref(h["indicator"], h["record_id"]),
                "person": person,
                "severity": sev,
                "weight": ws,
                "modifier": ms,
                "points": ps,
            }
        )
    n = len({h["indicator"] for h in rows})
    weighted = f * total
    bonus_pts = b * (n - 1)
    score = int((weighted + bonus_pts).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    check = score_of((int(h["weight"]) * int(h["modifier"]) for h in rows), n, factor, bonus)
    if score != check:  # pragma: no cover - the two computations are the same rule
        raise AssertionError(f"explanation {score} != integer score {check}")
    level = _level(score, thresholds)
    cat = CATEGORY_LABELS.get(identity, identity)
    lines.append(f"身份系数 {cat} {identity}: {fmt(f)} × {fmt(total)} = {fmt(weighted)}")
    lines.append(f"叠加加分 overlap bonus: {fmt(b)} × ({n} − 1) = {fmt(bonus_pts)}")
    raw = weighted + bonus_pts
    rounded = "" if raw == score else f" ≈ {score}"
    shown = f"{fmt(weighted)} + {fmt(bonus_pts)} = {fmt(raw)}{rounded}"
    if level:
        lines.append(f"得分 score: {shown} → {LEVEL_LABELS[level]} {level} (≥ {thresholds[level]})")
    else:
        lines.append(f"得分 score: {shown} → 未达蓝色 below blue (< {thresholds['blue']})")
    return {
        "score": score,
        "level": level,
        "identity": identity,
        "factor": fmt(f),
        "base": fmt(total),
        "weighted": fmt(weighted),
        "indicators": n,
        "bonus": fmt(b),
        "bonus_points": fmt(bonus_pts),
        "hits": out_hits,
        "lines": lines,
    }
