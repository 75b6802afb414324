"""Dated policy parameters in OpenFisca's YAML shape — the one loader for every rule.

A file holds a tree of nodes; a leaf has ``values`` keyed by effective date::

    description: Individual contribution to resident medical insurance
    unit: currency-CNY
    reference: 甘肃省医疗保障局 2024 年城乡居民医保缴费通知
    values:
      2024-01-01: 380
      2025-01-01: 400

The parameter's path is the file stem plus the keys down to the leaf
(``medical.contribution``). A value may also be written ``{value: 380, reference: ...}``;
``null`` ends a parameter from that date. Loading is strict: unknown keys, dates that are
duplicated or out of order, mixed value types and non-numbers where the unit is numeric are
errors naming the file and key. Looking up a date before the first value raises.

Versions are content hashes, one per domain: :meth:`ParameterSet.version_of` hashes only the
parameters under the given domains or paths, and every computed result records the version of
the parameters its domain reads (medical results ``version_of("medical")``, monitoring the
``monitoring`` set plus the primary-category priority). Editing the monitoring weights
therefore leaves the version stamped on medical results unchanged. :attr:`ParameterSet.version`
hashes the whole set (a cache key, and what-if comparisons of whole sets).

>>> ps = ParameterSet.from_mapping({"demo": {"cap": {"values": {"2024-01-01": 50000}}}})
>>> ps.get("demo.cap", "2024-06-30")
50000
>>> ps.version_of("demo") == ps.version_of("demo.cap") != ps.version_of("other")
True
>>> ps.get("demo.cap", "2023-12-31")
Traceback (most recent call last):
...
safetynet.parameters.ParameterError: demo.cap: no value before 2024-01-01 (asked for 2023-12-31)
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_DIR",
    "DOMAINS",
    "Parameter",
    "ParameterError",
    "ParameterSet",
    "default_parameters",
    "load_parameters",
]

DEFAULT_DIR = Path(__file__).resolve().parent
#: The parameter domains: one shipped YAML file each, versioned separately.
DOMAINS = ("education", "eligibility", "employment", "medical", "monitoring", "registry")
LEAF_KEYS = {"description", "values", "reference", "unit", "metadata", "documentation"}
NODE_KEYS = {"description", "reference", "metadata", "documentation"}
VALUE_KEYS = {"value", "reference", "metadata"}
NUMERIC_UNITS = {"currency-CNY", "/1", "year", "month", "day", "points", "people", "count"}


class ParameterError(ValueError):
    """A parameter file is invalid, or a lookup cannot be answered."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and reads floats as Decimal."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ParameterError(f"duplicate key {key!r} at line {line}")
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


def _construct_float(loader: _StrictLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class Parameter:
    """One dated parameter: its values in date order, with unit and legal reference."""

    path: str
    dates: tuple[date, ...]
    values: tuple[Any, ...]
    unit: str | None = None
    reference: str | None = None
    description: str | None = None

    def at(self, on: date | str) -> Any:
        """The value in force on ``on``; raises before the first date or after a ``null``."""
        day = _as_date(on)
        i = bisect_right(self.dates, day)
        if i == 0:
            raise ParameterError(
                f"{self.path}: no value before {self.dates[0].isoformat()} "
                f"(asked for {day.isoformat()})"
            )
        value = self.values[i - 1]
        if value is None:
            raise ParameterError(
                f"{self.path}: ended on {self.dates[i - 1].isoformat()} (asked for {day})"
            )
        return value


class ParameterSet:
    """A validated set of dated parameters with a content hash (:attr:`version`)."""

    def __init__(self, parameters: Mapping[str, Parameter]) -> None:
        self._params = dict(sorted(parameters.items()))
        self._versions: dict[tuple[str, ...], str] = {}
        self.version: str = _hash(self._params.values())

    def version_of(self, *scopes: str) -> str:
        """Content hash of the parameters under ``scopes`` (domains such as ``"medical"`` or
        single paths such as ``"registry.primary_priority"``); nothing outside them counts.

        The same 16 hex digits a set holding only those parameters has as :attr:`version`.
        """
        key = tuple(sorted(set(scopes)))
        if key not in self._versions:
            self._versions[key] = _hash(p for path, p in self._params.items() if _under(path, key))
        return self._versions[key]

    def __contains__(self, path: object) -> bool:
        return path in self._params

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        return f"<ParameterSet {len(self)} parameters, version {self.version}>"

    def parameter(self, path: str) -> Parameter:
        try:
            return self._params[path]
        except KeyError:
            raise ParameterError(f"unknown parameter {path!r}") from None

    def get(self, path: str, on: date | str) -> Any:
        """The value of ``path`` in force on ``on``."""
        return self.parameter(path).at(on)

    def number(self, path: str, on: date | str) -> Decimal:
        """A numeric value as Decimal (raises if the parameter is not a number)."""
        value = self.get(path, on)
        if _kind(value) != "number":
            raise ParameterError(f"{path}: expected a number, found {value!r}")
        return Decimal(value)

    def children(self, prefix: str, on: date | str) -> dict[str, Any]:
        """Values of the leaves directly below ``prefix`` in force on ``on``, by last key."""
        depth = prefix.count(".") + 1
        out = {}
        for path, param in self._params.items():
            if path.startswith(prefix + ".") and path.count(".") == depth:
                out[path.rsplit(".", 1)[1]] = param.at(on)
        if not out:
            raise ParameterError(f"no parameters below {prefix!r}")
        return out

    def paths(self) -> list[str]:
        return list(self._params)

    def merged(self, other: ParameterSet) -> ParameterSet:
        """This set with ``other``'s parameters replacing or adding to it (for what-ifs)."""
        return ParameterSet({**self._params, **other._params})

    @classmethod
    def from_mapping(cls, tree: Mapping[str, Any], *, source: str = "<mapping>") -> ParameterSet:
        """Build from ``{file_stem: node}`` (used by tests and by :func:`load_parameters`)."""
        params: dict[str, Parameter] = {}
        for stem, node in tree.items():
            _walk(node, str(stem), source, params)
        return cls(params)


def _under(path: str, scopes: tuple[str, ...]) -> bool:
    return any(path == s or path.startswith(s + ".") for s in scopes)


def _hash(params: Iterable[Parameter]) -> str:
    canonical = [
        [p.path, [d.isoformat() for d in p.dates], [_canon(v) for v in p.values], p.unit]
        for p in params
    ]
    blob = json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _canon(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value


def _walk(node: Any, path: str, source: str, out: dict[str, Parameter]) -> None:
    where = f"{source}: {path}"
    if not isinstance(node, dict):
        raise ParameterError(f"{where}: expected a mapping with 'values' or child parameters")
    if "values" in node:
        unknown = set(node) - LEAF_KEYS
        if unknown:
            raise ParameterError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
        out[path] = _leaf(node, path, where)
        return
    for key, child in node.items():
        if key in NODE_KEYS:
            continue
        if not isinstance(key, str) or not isinstance(child, dict):
            raise ParameterError(f"{where}: unknown key {key!r} (not a parameter or node)")
        _walk(child, f"{path}.{key}", source, out)


def _leaf(node: dict[str, Any], path: str, where: str) -> Parameter:
    raw = node["values"]
    if not isinstance(raw, dict) or not raw:
        raise ParameterError(f"{where}: 'values' must map dates to values")
    dates: list[date] = []
    values: list[Any] = []
    for key, entry in raw.items():
        try:
            day = _as_date(key)
        except ValueError:
            raise ParameterError(f"{where}: {key!r} is not a date (YYYY-MM-DD)") from None
        if dates and day <= dates[-1]:
            word = "duplicate" if day == dates[-1] else "out of order"
            raise ParameterError(f"{where}: date {day} is {word}; list dates ascending")
        if isinstance(entry, dict):
            unknown = set(entry) - VALUE_KEYS
            if unknown or "value" not in entry:
                raise ParameterError(f"{where}.{day}: a value mapping needs 'value' only")
            entry = entry["value"]
        dates.append(day)
        values.append(entry)
    kinds = {_kind(v) for v in values} - {"null"}
    if len(kinds) > 1 or kinds & {"mapping"}:
        raise ParameterError(f"{where}: values mix types {sorted(kinds)}")
    unit = node.get("unit")
    if unit in NUMERIC_UNITS and kinds - {"number"}:
        raise ParameterError(f"{where}: unit {unit} needs numbers, found {sorted(kinds)}")
    reference = node.get("reference")
    if isinstance(reference, list):
        reference = "; ".join(map(str, reference))
    return Parameter(
        path=path,
        dates=tuple(dates),
        values=tuple(values),
        unit=unit,
        reference=reference,
        description=node.get("description"),
    )


def _read(file: Path) -> Any:
    try:
        with file.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_StrictLoader)
    except ParameterError as exc:
        raise ParameterError(f"{file}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"{file}: not valid YAML: {exc}") from None


def load_parameters(sources: Path | str | Iterable[Path | str] = DEFAULT_DIR) -> ParameterSet:
    """Load every ``*.yaml`` of the given directories and files (later files override)."""
    items = [sources] if isinstance(sources, str | Path) else list(sources)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            files.extend(sorted(item.glob("*.yaml")))
        elif item.is_file():
            files.append(item)
        else:
            raise ParameterError(f"{item}: no such parameter file or directory")
    params: dict[str, Parameter] = {}
    for file in files:
        tree = _read(file)
        if tree is None:
            continue
        found: dict[str, Parameter] = {}
        _walk(tree, file.stem, str(file), found)
        params.update(found)
    return ParameterSet(params)


def default_parameters() -> ParameterSet:
    """The parameters shipped with safetynet (``src/safetynet/parameters/*.yaml``)."""
    return load_parameters(DEFAULT_DIR)
