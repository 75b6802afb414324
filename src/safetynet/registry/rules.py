"""Pure registry rules: interval overlap, tekun/dibao exclusion, primary category, medical group,
the household of a person on a date.

No framework imports; the importer applies the same rules vectorised in SQL, and the tests
check both agree.

A membership interval is ``(valid_from, valid_to)`` with ``valid_to`` None while open; both
ends are inclusive (active on D ⇔ valid_from ≤ D and (valid_to is None or valid_to ≥ D)).

>>> from datetime import date
>>> overlaps((date(2024, 1, 1), date(2024, 6, 30)), (date(2024, 6, 30), None))
True
>>> primary_category(["ill", "dibao", "disabled"])
'dibao'
>>> default_medical_group("unstable_lifted", relapsed=True)
'relapsed'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from safetynet.parameters import ParameterSet
from safetynet.registry.categories import CATEGORIES, RELAPSE_SUBTYPES

__all__ = [
    "DEFAULT_PRIORITY",
    "EXCLUSIVE",
    "PRIORITY_PARAM",
    "Interval",
    "Move",
    "Span",
    "active_on",
    "default_medical_group",
    "exclusive_conflicts",
    "household_category",
    "household_on",
    "overlaps",
    "primary_category",
    "primary_priority",
    "validate_priority",
]

Interval = tuple[date, date | None]

#: Default primary-category priority (also in parameters/registry.yaml, which wins).
DEFAULT_PRIORITY: tuple[str, ...] = (
    "tekun",
    "dibao",
    "dibao_edge",
    "rigid_expense",
    "sudden_hardship",
    "unstable_lifted",
    "edge_prone",
    "disabled",
    "ill",
    "unemployed",
    "other_hardship",
)

#: Where the dated priority lives (``parameters/registry.yaml``).
PRIORITY_PARAM = "registry.primary_priority"

#: Categories one person may not hold on the same day.
EXCLUSIVE: frozenset[str] = frozenset({"tekun", "dibao"})


def active_on(interval: Interval, day: date) -> bool:
    """Whether a membership interval covers ``day`` (both ends inclusive).

    >>> active_on((date(2024, 1, 1), None), date(2030, 1, 1))
    True
    >>> active_on((date(2024, 1, 1), date(2024, 1, 31)), date(2024, 2, 1))
    False
    """
    start, end = interval
    return start <= day and (end is None or end >= day)


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two intervals share at least one day.

    >>> overlaps((date(2024, 1, 1), date(2024, 1, 31)), (date(2024, 2, 1), None))
    False
    >>> overlaps((date(2024, 1, 1), None), (date(2020, 1, 1), None))
    True
    """
    (s1, e1), (s2, e2) = a, b
    return (e2 is None or s1 <= e2) and (e1 is None or s2 <= e1)


@dataclass(frozen=True, slots=True)
class Span:
    """One membership of one person: its category and interval, with a label for messages."""

    category: str
    valid_from: date
    valid_to: date | None = None
    label: str = ""

    @property
    def interval(self) -> Interval:
        return (self.valid_from, self.valid_to)


def exclusive_conflicts(spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)``, ``i < j``, of one person's spans that are tekun and dibao and overlap.

    The importer rejects the later span ``j`` of each pair.

    >>> s = [Span("dibao", date(2020, 1, 1)), Span("tekun", date(2023, 5, 1)),
    ...      Span("ill", date(2023, 1, 1))]
    >>> exclusive_conflicts(s)
    [(0, 1)]
    >>> exclusive_conflicts([Span("dibao", date(2020, 1, 1), date(2022, 12, 31)),
    ...                      Span("tekun", date(2023, 1, 1))])
    []
    """
    out = []
    for j, b in enumerate(spans):
        for i in range(j):
            a = spans[i]
            if (
                a.category != b.category
                and {a.category, b.category} <= EXCLUSIVE
                and overlaps(a.interval, b.interval)
            ):
                out.append((i, j))
    return out


@dataclass(frozen=True, slots=True)
class Move:
    """A dated move of one person into ``to_household`` (``from_household`` None for a first
    entry into the registry); ``seq`` orders moves recorded for the same day (the table's id)."""

    from_household: int | None
    to_household: int
    moved_on: date
    seq: int = 0


def household_on(current: int | None, moves: Sequence[Move], day: date) -> int | None:
    """The household a person belongs to at the end of ``day``.

    The latest move on or before ``day`` decides (the later recorded one if two share a date);
    before the first move the person is in the household that move left, which is None for a
    first entry (not in any registered household yet); a person without moves is in
    ``current``. A move recorded later but dated after ``day`` never changes the answer.

    >>> moves = [Move(1, 2, date(2024, 6, 15)), Move(2, 3, date(2024, 9, 1))]
    >>> [household_on(3, moves, date(2024, m, 28)) for m in (1, 6, 8, 9)]
    [1, 2, 2, 3]
    >>> household_on(5, [Move(None, 5, date(2024, 3, 1))], date(2024, 2, 29)) is None
    True
    >>> household_on(7, [], date(2024, 1, 31))
    7
    """
    if not moves:
        return current
    done = [m for m in moves if m.moved_on <= day]
    if done:
        return max(done, key=lambda m: (m.moved_on, m.seq)).to_household
    return min(moves, key=lambda m: (m.moved_on, m.seq)).from_household


def primary_priority(params: ParameterSet, on: date | str) -> tuple[str, ...]:
    """The primary-category priority in force on ``on``: :data:`PRIORITY_PARAM` when the set
    holds it (checked by :func:`validate_priority`), else :data:`DEFAULT_PRIORITY`. The registry's
    statistics and monitoring's scoring both read it here.

    >>> from safetynet.parameters import ParameterSet
    >>> primary_priority(ParameterSet({}), "2024-01-01") == DEFAULT_PRIORITY
    True
    """
    if PRIORITY_PARAM not in params:
        return DEFAULT_PRIORITY
    return validate_priority(str(c) for c in params.get(PRIORITY_PARAM, on))


def validate_priority(priority: Iterable[str]) -> tuple[str, ...]:
    """Check a priority list names every category exactly once; return it as a tuple.

    >>> validate_priority(["tekun"])
    Traceback (most recent call last):
    ...
    ValueError: primary-category priority must list each of the 11 categories once; missing ['dibao', 'dibao_edge', 'disabled', 'edge_prone', 'ill', 'other_hardship', 'rigid_expense', 'sudden_hardship', 'unemployed', 'unstable_lifted']
    """
    items = tuple(priority)
    missing = sorted(set(CATEGORIES) - set(items))
    unknown = sorted(set(items) - set(CATEGORIES))
    if missing or unknown or len(items) != len(set(items)):
        detail = []
        if missing:
            detail.append(f"missing {missing}")
        if unknown:
            detail.append(f"unknown {unknown}")
        if len(items) != len(set(items)):
            detail.append("duplicates")
        raise ValueError(
            f"primary-category priority must list each of the {len(CATEGORIES)} categories once; "
            + ", ".join(detail)
        )
    return items


def primary_category(
    categories: Iterable[str], priority: Sequence[str] = DEFAULT_PRIORITY
) -> str | None:
    """The first of a person's active categories in ``priority`` order (None if none).

    >>> primary_category([])
    >>> primary_category(["unemployed", "edge_prone"])
    'edge_prone'
    """
    held = set(categories)
    for category in priority:
        if category in held:
            return category
    return None


def household_category(
    members: Iterable[Iterable[str]], priority: Sequence[str] = DEFAULT_PRIORITY
) -> str | None:
    """The primary category of a household (its identity in monitoring): the first in
    ``priority`` of its members' primary categories — the same as the primary category of
    everything its members hold. None when nobody in it is monitored.

    >>> household_category([["ill"], [], ["disabled", "dibao_edge"]])
    'dibao_edge'
    >>> household_category([[], []]) is None
    True
    """
    return primary_category(
        (c for c in (primary_category(m, priority) for m in members) if c), priority
    )


def default_medical_group(category: str | None, *, relapsed: bool = False) -> str:
    """The medical-assistance group a membership gets when the file leaves it empty.

    tekun → tekun, dibao → dibao, dibao_edge → dibao_edge, the three poverty-relapse
    subtypes → prone (relapsed when flagged 返贫致贫), anything else (disabled, ill, unemployed,
    other_hardship) → none.

    >>> [default_medical_group(c) for c in ("tekun", "dibao_edge", "edge_prone", "other_hardship")]
    ['tekun', 'dibao_edge', 'prone', 'none']
    >>> default_medical_group("dibao", relapsed=True)
    'dibao'
    """
    if category in ("tekun", "dibao", "dibao_edge"):
        return category
    if category in RELAPSE_SUBTYPES:
        return "relapsed" if relapsed else "prone"
    return "none"
