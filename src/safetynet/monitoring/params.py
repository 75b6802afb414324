"""Scoring parameters of one month, read from the dated ``monitoring.*`` parameters.

Pure rules: no framework. Every number is turned into integer *milli* units (1.5 → 1500) so
that DuckDB, Spark and pandas compute exactly the same scores. The version hash covers only
the parameters that scoring reads (``monitoring.*`` and ``registry.primary_priority``).

>>> p = scoring_params(default_monitoring_parameters(), "2024-03")
>>> p.weights["hospital"], p.identity["dibao_edge"], p.level_of(95)
(30000, 1500, 'red')
>>> p.level_of(1) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from safetynet import codes
from safetynet.parameters import (
    DEFAULT_DIR,
    ParameterError,
    ParameterSet,
    load_parameters,
)
from safetynet.registry import rules as registry_rules

__all__ = [
    "CATEGORY_LABELS",
    "DEFAULT_PRIORITY",
    "INDICATORS",
    "INDICATOR_LABELS",
    "LEVELS",
    "LEVEL_LABELS",
    "ModifierRow",
    "ScoringParams",
    "default_monitoring_parameters",
    "load_monitoring_parameters",
    "milli",
    "scoring_params",
]

#: Feed sources used as indicators, and warning levels low to high (:mod:`safetynet.codes`).
INDICATORS = codes.INDICATORS
INDICATOR_LABELS = codes.INDICATOR_LABELS
LEVELS = codes.LEVELS
LEVEL_LABELS = codes.LEVEL_LABELS
#: Primary-category priority used when the parameters do not configure one.
DEFAULT_PRIORITY = registry_rules.DEFAULT_PRIORITY
#: Category names in explanations (the registry's, with a shorter one for ``ill``).
CATEGORY_LABELS = {**codes.CATEGORIES, "ill": "患病人员"}


def milli(value: Any, path: str = "value") -> int:
    """``value`` in thousandths as an int; more than 3 decimals is an error.

    >>> milli(Decimal("1.5")), milli(30)
    (1500, 30000)
    """
    scaled = Decimal(value) * 1000
    if scaled != scaled.to_integral_value():
        raise ParameterError(f"{path}: at most 3 decimals allowed, found {value}")
    return int(scaled)


@dataclass(frozen=True, slots=True)
class ModifierRow:
    """A severity modifier: applies to hits of ``indicator`` whose key equals ``key`` (any
    key when None) and whose amount lies in [lo, hi) (no bound when None)."""

    indicator: str
    key: str | None
    lo: Decimal | None
    hi: Decimal | None
    factor: int  # milli


@dataclass(frozen=True)
class ScoringParams:
    """Everything the scoring SQL needs for one month, in milli units."""

    month: str
    version: str
    weights: dict[str, int]
    modifiers: tuple[ModifierRow, ...]
    identity: dict[str, int]
    bonus: int
    thresholds: dict[str, int]  # level -> lowest score (points, integer)
    priority: tuple[str, ...] = DEFAULT_PRIORITY

    def level_of(self, score: int) -> str | None:
        """The highest level whose threshold ``score`` reaches, or None below blue."""
        found = None
        for level in LEVELS:
            if score >= self.thresholds[level]:
                found = level
        return found


def load_monitoring_parameters(extra: Path | str | None = None) -> ParameterSet:
    """The shipped parameters (monitoring and registry), optionally overridden by ``extra``."""
    files: list[Path] = [DEFAULT_DIR / "monitoring.yaml"]
    if (DEFAULT_DIR / "registry.yaml").exists():
        files.append(DEFAULT_DIR / "registry.yaml")
    base = load_parameters(files)
    if extra is None:
        return base
    extra = Path(extra)
    if extra.is_file() and extra.stem != "monitoring":
        # a what-if file may have any name; its keys are read below ``monitoring``
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "monitoring.yaml"
            shutil.copyfile(extra, copy)
            override = load_parameters(copy)
    else:
        override = load_parameters(extra)
    return base.merged(override)


def default_monitoring_parameters() -> ParameterSet:
    return load_monitoring_parameters()


def scoring_params(ps: ParameterSet, month: str) -> ScoringParams:
    """Read the scoring parameters in force on the first day of ``month`` (YYYY-MM)."""
    on = f"{month}-01"
    weights = {
        k: milli(v, f"monitoring.weights.{k}")
        for k, v in ps.children("monitoring.weights", on).items()
    }
    missing = set(INDICATORS) - set(weights)
    if missing:
        raise ParameterError(f"monitoring.weights: missing {sorted(missing)}")
    rows: list[ModifierRow] = []
    bounds = [Decimal(b) for b in ps.get("monitoring.modifiers.hospital_oop.bounds", on)]
    factors = ps.get("monitoring.modifiers.hospital_oop.factors", on)
    if len(bounds) != len(factors) or not bounds or bounds != sorted(bounds) or bounds[0] != 0:
        raise ParameterError(
            "monitoring.modifiers.hospital_oop: bounds must start at 0, ascend and match factors"
        )
    for i, (lo, f) in enumerate(zip(bounds, factors, strict=True)):
        hi = bounds[i + 1] if i + 1 < len(bounds) else None
        rows.append(ModifierRow("hospital", None, lo, hi, milli(f, "hospital_oop.factors")))
    for indicator in ("disease", "university", "disability", "relapse"):
        for key, f in ps.children(f"monitoring.modifiers.{indicator}", on).items():
            rows.append(ModifierRow(indicator, key, None, None, milli(f, f"{indicator}.{key}")))
    identity = {
        k: milli(v, f"identity_factors.{k}")
        for k, v in ps.children("monitoring.identity_factors", on).items()
    }
    thresholds = {
        k: int(v) for k, v in ps.children("monitoring.thresholds", on).items() if k in LEVELS
    }
    if set(thresholds) != set(LEVELS):
        raise ParameterError("monitoring.thresholds: needs blue, yellow, orange and red")
    ordered = [thresholds[lv] for lv in LEVELS]
    if ordered != sorted(ordered) or len(set(ordered)) != 4 or ordered[0] <= 0:
        raise ParameterError("monitoring.thresholds: need 0 < blue < yellow < orange < red")
    priority = registry_rules.primary_priority(ps, on)
    missing_identity = set(priority) - set(identity)
    if missing_identity:
        raise ParameterError(f"monitoring.identity_factors: missing {sorted(missing_identity)}")
    return ScoringParams(
        month=month,
        version=ps.version_of("monitoring", registry_rules.PRIORITY_PARAM),
        weights=weights,
        modifiers=tuple(rows),
        identity=identity,
        bonus=milli(ps.get("monitoring.overlap_bonus", on), "overlap_bonus"),
        thresholds=thresholds,
        priority=priority,
    )
