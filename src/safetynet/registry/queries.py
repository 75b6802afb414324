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
import pyarrow.compute as pc
from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from safetynet import codes
from safetynet.registry import rules
from safetynet.registry.models import Membership, Person

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
    "premium_reads",
    "primary_tallies",
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


#: Arrow schema of the membership rows :func:`premium_population` reads.
PREMIUM_ROWS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("category", pa.string()),
        ("relapsed", pa.int64()),
        ("medical_group", pa.string()),
        ("dibao_class", pa.string()),
        ("household_id", pa.int64()),
    ]
)


def premium_reads(on: date, *, dialect: str = "sqlite") -> list[tuple[str, pa.Schema]]:
    """The bulk reads of :func:`premium_population` (SQL text, Arrow schema): memberships active
    on ``on`` with their person's household, and every household's township. Two scans joined
    in memory, like :func:`snapshot_reads`. Text columns that may be NULL come as ``''``: the
    ADBC SQLite driver takes a column's type from its first rows, and a NULL there reads as an
    integer column.

    >>> [q.split(" FROM ")[1].split()[0] for q, _ in premium_reads(date(2024, 1, 1))]
    ['membership', 'household']
    """
    rows = (
        "SELECT membership.person_id, membership.category, "
        "CASE WHEN membership.relapsed THEN 1 ELSE 0 END, "
        "COALESCE(membership.medical_group, ''), COALESCE(membership.dibao_class, ''), "
        "person.household_id "
        "FROM membership JOIN person ON person.id = membership.person_id "
        f"WHERE {active_sql(on, dialect=dialect)}"
    )
    return [
        (rows, PREMIUM_ROWS_SCHEMA),
        ("SELECT id, township_code FROM household", HOUSEHOLD_SCHEMA),
    ]


def premium_population(
    *, session: Session, on: date, progress: Callable[[int], Any] | None = None
) -> pa.Table:
    """Everyone monitored on ``on``, once, in person order: prefecture (4 digits), group,
    dibao_class.

    A membership without a stored medical group takes
    :func:`~safetynet.registry.rules.default_medical_group` (the rule the import applies); a
    person with several active memberships takes the first group in
    :data:`safetynet.codes.MEDICAL_GROUPS` order (tekun before dibao before …) and the smallest
    dibao class among the rows of that group, else the smallest of any of their rows. Read through
    :func:`safetynet.registry.bulkread.read` and computed column-wise.
    """
    from safetynet.registry import bulkread

    _require(session)
    dialect = session.get_bind().dialect.name
    rows, households = bulkread.read(session, premium_reads(on, dialect=dialect))
    if progress:
        progress(rows.num_rows)
    if rows.num_rows == 0:
        return pa.table(
            {
                "prefecture": pa.array([], pa.string()),
                "group": pa.array([], pa.string()),
                "dibao_class": pa.array([], pa.string()),
            }
        )
    groups = tuple(codes.MEDICAL_GROUPS)
    stored = pc.if_else(pc.equal(rows["medical_group"], ""), None, rows["medical_group"])
    # the import's default, applied once per distinct (category, relapsed) pair
    pairs = pc.binary_join_element_wise(
        rows["category"].fill_null(""), pc.cast(rows["relapsed"], pa.string()), "|"
    )
    distinct = pc.unique(pairs).to_pylist()
    defaults = [
        rules.default_medical_group(k.rsplit("|", 1)[0] or None, relapsed=k.endswith("|1"))
        for k in distinct
    ]
    default = pc.take(pa.array(defaults, pa.string()), pc.index_in(pairs, pa.array(distinct)))
    group = pc.coalesce(stored, default)
    rank_arr = pc.index_in(group, value_set=pa.array(groups, pa.string()))
    if rank_arr.null_count:
        bad = pc.filter(group, pc.is_null(rank_arr))[0].as_py()
        raise UnknownMedicalGroup(f"登记库中有未知的医疗救助类别 / unknown medical_group {bad!r}")
    rank = rank_arr.to_numpy()
    pid = rows["person_id"].to_numpy()
    cls = pc.if_else(pc.equal(rows["dibao_class"], ""), None, rows["dibao_class"])
    # classes ranked in code order, no class last: ties between rows are broken by the class
    names = pc.unique(cls.drop_null()).sort()
    crank = np.asarray(
        pc.index_in(cls, value_set=names).fill_null(len(names)).to_numpy(), dtype=np.int64
    )
    order = np.lexsort((crank, rank, pid))  # by person, best group, then smallest class
    starts = np.r_[True, pid[order][1:] != pid[order][:-1]]
    first = order[starts]
    chosen = pc.take(cls, pa.array(first))
    if chosen.null_count:  # a dibao person's class may sit on another of their rows
        by_class = np.lexsort((crank, pid))
        fallback = pc.take(
            cls, pa.array(by_class[np.r_[True, pid[by_class][1:] != pid[by_class][:-1]]])
        )
        chosen = pc.coalesce(chosen, fallback)
    hid = pc.take(rows["household_id"], pa.array(first))
    at = pc.index_in(hid, value_set=households["household_id"])
    out = pa.table(
        {
            "prefecture": pc.utf8_slice_codeunits(pc.take(households["township_code"], at), 0, 4),
            "group": pc.take(pa.array(groups, pa.string()), pa.array(rank[first])),
            "dibao_class": chosen,
        }
    )
    # people in no registered household are not in the population (an inner join)
    return out.filter(pc.is_valid(at)) if at.null_count else out


_PERSON_HOUSEHOLD = pa.schema([("person_id", pa.int64()), ("household_id", pa.int64())])


def primary_tallies(
    *, session: Session, on: date, priority: tuple[str, ...] | list[str], seed: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """People counted once each under their primary category on ``on`` (every category of
    ``priority``), and the people whose primary category is in ``seed`` by prefecture (4-digit
    code of their household's township; people in no registered household are left out).

    The column-wise twin of :func:`safetynet.registry.service.primary_counts` (the tests compare
    them), read through :func:`safetynet.registry.bulkread.read`: three plain scans.
    """
    from safetynet.registry import bulkread

    _require(session)
    dialect = session.get_bind().dialect.name
    hint = " NOT INDEXED" if dialect == "sqlite" else ""
    active, person, household = bulkread.read(
        session,
        [
            (
                f"SELECT person_id, category FROM membership{hint} "
                f"WHERE {active_sql(on, dialect=dialect)}",
                ACTIVE_SCHEMA,
            ),
            ("SELECT id, household_id FROM person", _PERSON_HOUSEHOLD),
            ("SELECT id, township_code FROM household", HOUSEHOLD_SCHEMA),
        ],
    )
    order = tuple(priority)
    none = len(order)
    rank = pc.index_in(active["category"], value_set=pa.array(order, pa.string()))
    ranks = np.asarray(rank.fill_null(none).to_numpy(), dtype=np.int16)
    uniq, inv = np.unique(active["person_id"].to_numpy(), return_inverse=True)
    best = np.full(len(uniq), none, np.int16)
    np.minimum.at(best, inv, ranks)
    per_rank = np.bincount(best, minlength=none + 1)
    counts = {c: int(per_rank[i]) for i, c in enumerate(order)}
    wanted = [i for i, c in enumerate(order) if c in set(seed)]
    chosen = pa.array(uniq[np.isin(best, wanted)], pa.int64())
    hid = pc.take(person["household_id"], pc.index_in(chosen, value_set=person["person_id"]))
    town = pc.take(
        household["township_code"], pc.index_in(hid, value_set=household["household_id"])
    )
    prefs = pc.value_counts(pc.utf8_slice_codeunits(town.drop_null(), 0, 4))
    by_pref = {str(v["values"]): int(v["counts"]) for v in prefs.to_pylist()}
    return counts, dict(sorted(by_pref.items()))
