"""Registry look-ups for the calculators (SQL over the registry tables of migration 0002).

The rules themselves stay in :mod:`medical`, :mod:`education` and :mod:`employment`; this
module only reads ``person``, ``household``, ``membership`` and ``region``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import Engine

from safetynet.policy._money import CalcError
from safetynet.policy.medical import GROUPS

__all__ = [
    "DEFAULT_MEDICAL_GROUP",
    "prefecture_names",
    "premium_population",
    "registry_ready",
    "registry_statuses",
]

REGISTRY_TABLES = ("household", "person", "membership")
#: medical group of a membership whose medical_group is empty, by category
DEFAULT_MEDICAL_GROUP = {
    "tekun": "tekun",
    "dibao": "dibao",
    "dibao_edge": "dibao_edge",
    "edge_prone": "prone",
    "sudden_hardship": "prone",
    "unstable_lifted": "transition_lifted",
}

_ACTIVE = "m.valid_from <= :on AND (m.valid_to IS NULL OR m.valid_to >= :on)"


def registry_ready(*, engine: Engine) -> bool:
    """Whether the registry tables exist in this database."""
    names = set(inspect(engine).get_table_names())
    return all(t in names for t in REGISTRY_TABLES)


def _require(engine: Engine) -> None:
    if not registry_ready(engine=engine):
        raise CalcError(
            "数据库中还没有低收入人口登记表，请先运行 safetynet db upgrade 并导入登记数据"
            " / the registry tables do not exist yet: upgrade the database and import the registry"
        )


def registry_statuses(
    *, engine: Engine, resident_ids: Iterable[str], on: date
) -> dict[str, frozenset[str]]:
    """Registry statuses relevant to student grants (tekun, dibao, orphan, disabled) by resident ID.

    tekun, dibao and disabled count when the student or anyone in the student's household holds
    them on ``on``; orphan only for the student.
    """
    _require(engine)
    ids = sorted({r for r in resident_ids if r})
    out: dict[str, set[str]] = {}
    sql = text(
        "SELECT s.resident_id, p.id = s.id, m.category, m.orphan, m.disability_type "
        "FROM person s JOIN person p ON p.household_id = s.household_id "
        "JOIN membership m ON m.person_id = p.id "
        f"WHERE s.resident_id IN :ids AND {_ACTIVE} "
        "AND (p.id = s.id OR m.category IN ('tekun', 'dibao', 'disabled'))"
    ).bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            rows = conn.execute(sql, {"ids": chunk, "on": on})
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
    *, engine: Engine, on: date, progress: Callable[[int], Any] | None = None
) -> pa.Table:
    """Everyone monitored on ``on``, once: prefecture (4 digits), group, dibao_class.

    A person with several active memberships takes the first medical group in
    :data:`~safetynet.policy.medical.GROUPS` order (tekun before dibao before …).
    """
    _require(engine)
    sql = text(
        "SELECT m.person_id, m.category, m.medical_group, m.dibao_class, h.township_code "
        "FROM membership m JOIN person p ON p.id = m.person_id "
        f"JOIN household h ON h.id = p.household_id WHERE {_ACTIVE} ORDER BY m.person_id"
    )
    rank = {g: i for i, g in enumerate(GROUPS)}
    pid: list[int] = []
    grp: list[int] = []
    cls: list[str | None] = []
    town: list[str] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=50_000).execute(
            sql, {"on": on}
        )
        for rows in result.partitions():
            for person_id, category, medical_group, dibao_class, township in rows:
                group = medical_group or DEFAULT_MEDICAL_GROUP.get(category, "none")
                if group not in rank:
                    raise CalcError(
                        f"登记库中有未知的医疗救助类别 / unknown medical_group {group!r}"
                    )
                pid.append(person_id)
                grp.append(rank[group])
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
            "group": pa.array([GROUPS[g[i]] for i in first], pa.string()),
            "dibao_class": pa.array(chosen_cls, pa.string()),
        }
    )


def prefecture_names(*, engine: Engine, codes: Iterable[str]) -> dict[str, str]:
    """Names of 4-digit prefecture codes from the ``region`` table (missing codes are left out)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    sql = text("SELECT code, name FROM region WHERE code IN :codes").bindparams(
        bindparam("codes", expanding=True)
    )
    with engine.connect() as conn:
        return {code: name for code, name in conn.execute(sql, {"codes": wanted})}
