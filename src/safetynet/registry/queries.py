"""Registry reads for the other packages: the one place that knows the registry's tables.

Monitoring freezes its monthly population through :func:`snapshot_reads`; the calculators read
their population and statuses through :func:`premium_population` and
:func:`registry_statuses`. "Active" is always :func:`active_between`, the SQL twin of the pure
rules :func:`safetynet.registry.rules.active_on` and :func:`~safetynet.registry.rules.overlaps`
(the tests compare them on random intervals). Nothing here writes or commits: every read runs
in the caller's ``session``.

>>> from datetime import date
>>> print(active_sql(date(2024, 1, 1), date(2024, 1, 31)))
membership.valid_from <= '2024-01-31' AND (membership.valid_to IS NULL OR membership.valid_to >= '2024-01-01')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from safetynet import codes
from safetynet.registry import rules
from safetynet.registry.models import Household, Membership, Person

__all__ = [
    "ACTIVE_SCHEMA",
    "HOUSEHOLD_SCHEMA",
    "MOVED_SCHEMA",
    "PERSON_SCHEMA",
    "RegistryNotReady",
    "UnknownMedicalGroup",
    "active_between",
    "active_sql",
    "households_on_sql",
    "premium_population",
    "registry_ready",
    "registry_statuses",
    "snapshot_reads",
]

REGISTRY_TABLES = ("household", "person", "membership")
#: Arrow schemas of the three flat reads of :func:`snapshot_reads`.
ACTIVE_SCHEMA = pa.schema([("person_id", pa.int64()), ("category", pa.string())])
PERSON_SCHEMA = pa.schema(
    [("person_id", pa.int64()), ("household_id", pa.int64()), ("resident_id", pa.string())]
)
HOUSEHOLD_SCHEMA = pa.schema([("household_id", pa.int64()), ("township_code", pa.string())])
MOVED_SCHEMA = pa.schema([("person_id", pa.int64()), ("household_id", pa.int64())])
_PG: Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
_SQLITE: Dialect = sqlite.dialect()
_GROUP_RANK = {g: i for i, g in enumerate(codes.MEDICAL_GROUPS)}


class RegistryNotReady(LookupError):
    """The registry tables do not exist in this database (bilingual message)."""


class UnknownMedicalGroup(ValueError):
    """A stored membership names a medical group that is not on the code list."""


def active_between(start: date, end: date | None = None) -> ColumnElement[bool]:
    """SQL condition: a membership is active on some day of ``start``–``end`` (both inclusive;
    ``end`` None: on the single day ``start``). The twin of :func:`rules.overlaps` with the
    period, and of :func:`rules.active_on` for one day."""
    last = start if end is None else end
    return and_(
        Membership.valid_from <= last,
        or_(Membership.valid_to.is_(None), Membership.valid_to >= start),
    )


def active_sql(start: date, end: date | None = None, *, dialect: str = "sqlite") -> str:
    """:func:`active_between` as SQL text with the dates inlined (for ``COPY``, which takes no
    bind parameters, and for readers in another process)."""
    chosen: Dialect = _PG if dialect == "postgresql" else _SQLITE
    compiled = active_between(start, end).compile(
        dialect=chosen, compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def snapshot_reads(
    start: date, end: date, *, dialect: str = "sqlite"
) -> list[tuple[str, pa.Schema]]:
    """The registry reads of a monitoring snapshot, as (SQL text, Arrow schema): memberships
    active during ``start``–``end`` (person, category), persons, households, and the household
    on ``end`` of every person with a recorded move (:func:`households_on_sql`).

    Plain scans without joins: full scans stream fast on SQLite and PostgreSQL alike and the
    caller joins them in memory. On SQLite the membership scan skips the category index, which
    would turn it into millions of random row look-ups.

    >>> [q.split(" FROM ")[-1].split()[0].rstrip(")") for q, _ in
    ...  snapshot_reads(date(2024, 1, 1), date(2024, 1, 31))]
    ['membership', 'person', 'household', 'household_move']
    """
    hint = " NOT INDEXED" if dialect == "sqlite" else ""
    active = (
        f"SELECT person_id, category FROM membership{hint} "
        f"WHERE {active_sql(start, end, dialect=dialect)}"
    )
    return [
        (active, ACTIVE_SCHEMA),
        ("SELECT id, household_id, resident_id FROM person", PERSON_SCHEMA),
        ("SELECT id, township_code FROM household", HOUSEHOLD_SCHEMA),
        (households_on_sql(end), MOVED_SCHEMA),
    ]


def households_on_sql(on: date) -> str:
    """SQL: ``(person_id, household_id)`` of every person with a recorded move, in the
    household :func:`safetynet.registry.rules.household_on` gives at the end of ``on``
    (household_id NULL: not yet in any registered household). Persons without moves are in
    ``person.household_id``.

    Plain SQL text run by SQLite, PostgreSQL (also inside ``COPY``, hence no bind
    parameters; the date comes from a ``date``) and DuckDB alike.

    >>> "moved_on <= '2024-01-31'" in households_on_sql(date(2024, 1, 31))
    True
    """
    day = f"'{on.isoformat()}'"  # a date object: nothing else can reach the text
    done = f"moved_on <= {day}"
    return (
        "SELECT person_id, household_id FROM ("
        f"SELECT person_id, CASE WHEN {done} THEN to_household_id ELSE from_household_id END "
        "AS household_id, ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY "
        f"CASE WHEN {done} THEN 0 ELSE 1 END, "
        f"CASE WHEN {done} THEN moved_on END DESC, "
        f"CASE WHEN {done} THEN NULL ELSE moved_on END, "
        f"CASE WHEN {done} THEN -id ELSE id END) AS rn "
        "FROM household_move) m WHERE rn = 1"
    )


def registry_ready(*, session: Session) -> bool:
    """Whether the registry tables exist in this database."""
    names = set(inspect(session.connection()).get_table_names())
    return all(t in names for t in REGISTRY_TABLES)


def _require(session: Session) -> None:
    if not registry_ready(session=session):
        raise RegistryNotReady(
            "数据库中还没有低收入人口登记表，请先运行 safetynet db upgrade 并导入登记数据"
            " / the registry tables do not exist yet: upgrade the database and import the registry"
        )


def registry_statuses(
    *, session: Session, resident_ids: Iterable[str], on: date
) -> dict[str, frozenset[str]]:
    """Registry statuses relevant to student grants (tekun, dibao, orphan, disabled) by resident ID.

    tekun, dibao and disabled count when the student or anyone in the student's household holds
    them on ``on``; orphan only for the student.
    """
    _require(session)
    ids = sorted({r for r in resident_ids if r})
    out: dict[str, set[str]] = {}
    student = Person.__table__.alias("s")
    sql = (
        select(
            student.c.resident_id,
            (Person.id == student.c.id).label("is_self"),
            Membership.category,
            Membership.orphan,
            Membership.disability_type,
        )
        .select_from(student)
        .join(Person, Person.household_id == student.c.household_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            active_between(on),
            or_(Person.id == student.c.id, Membership.category.in_(("tekun", "dibao", "disabled"))),
        )
    )
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = session.execute(sql.where(student.c.resident_id.in_(chunk)))
        for rid, is_self, category, orphan, disability in rows:
            found = out.setdefault(rid, set())
            if category in ("tekun", "dibao"):
                found.add(category)
            if is_self and orphan:
                found.add("orphan")
            if category == "disabled" or (is_self and disability):
                found.add("disabled")
    return {k: frozenset(v) for k, v in out.items()}


def premium_population(
    *, session: Session, on: date, progress: Callable[[int], Any] | None = None
) -> pa.Table:
    """Everyone monitored on ``on``, once: prefecture (4 digits), group, dibao_class.

    A membership without a stored medical group takes
    :func:`~safetynet.registry.rules.default_medical_group` (the rule the import applies); a
    person with several active memberships takes the first group in
    :data:`safetynet.codes.MEDICAL_GROUPS` order (tekun before dibao before …).
    """
    _require(session)
    sql = (
        select(
            Membership.person_id,
            Membership.category,
            Membership.relapsed,
            Membership.medical_group,
            Membership.dibao_class,
            Household.township_code,
        )
        .join(Person, Person.id == Membership.person_id)
        .join(Household, Household.id == Person.household_id)
        .where(active_between(on))
        .order_by(Membership.person_id)
    )
    pid: list[int] = []
    grp: list[int] = []
    cls: list[str | None] = []
    town: list[str] = []
    result = session.execute(sql, execution_options={"stream_results": True, "yield_per": 50_000})
    for rows in result.partitions():
        for person_id, category, relapsed, medical_group, dibao_class, township in rows:
            group = medical_group or rules.default_medical_group(category, relapsed=bool(relapsed))
            if group not in _GROUP_RANK:
                raise UnknownMedicalGroup(
                    f"登记库中有未知的医疗救助类别 / unknown medical_group {group!r}"
                )
            pid.append(person_id)
            grp.append(_GROUP_RANK[group])
            cls.append(dibao_class or None)
            town.append(township)
        if progress:
            progress(len(rows))
    if not pid:
        return pa.table(
            {
                "prefecture": pa.array([], pa.string()),
                "group": pa.array([], pa.string()),
                "dibao_class": pa.array([], pa.string()),
            }
        )
    groups = tuple(codes.MEDICAL_GROUPS)
    p, g = np.asarray(pid), np.asarray(grp)
    order = np.lexsort((g, p))  # by person, best group first
    first = order[np.r_[True, p[order][1:] != p[order][:-1]]]
    classes = np.asarray(cls, dtype=object)
    # a dibao person's class may sit on another of their rows: take any non-empty one
    by_person: dict[int, str] = {}
    for person_id, c in zip(pid, cls, strict=True):
        if c:
            by_person.setdefault(person_id, c)
    chosen_cls = [classes[i] or by_person.get(pid[i]) for i in first]
    return pa.table(
        {
            "prefecture": pa.array([town[i][:4] for i in first], pa.string()),
            "group": pa.array([groups[g[i]] for i in first], pa.string()),
            "dibao_class": pa.array(chosen_cls, pa.string()),
        }
    )
