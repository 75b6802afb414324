"""Freeze the scored population of a month (and the evidence already used) to Parquet.

The snapshot lists every member of every household with at least one person monitored during
the month: household, township, resident ID, person, primary category (None for a member who
is not monitored) and the household identity (highest-priority primary category of its
members). Each person counts in the household they belonged to on the **last day of the
month** (dated moves, :func:`safetynet.registry.rules.household_on`), so a move recorded later
and dated after the month leaves the month's snapshot as it was. Files are named by their
content hash, so a run can always be reproduced.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine

from safetynet.hashing import file_sha256
from safetynet.monitoring.engine import USED_SCHEMA
from safetynet.registry import bulkread
from safetynet.registry import queries as registry_queries

__all__ = [
    "SNAPSHOT_SCHEMA",
    "Snapshot",
    "freeze",
    "month_bounds",
    "write_hashed",
]

SNAPSHOT_SCHEMA = pa.schema(
    [
        ("household_id", pa.int64()),
        ("township_code", pa.string()),
        ("resident_id", pa.string()),
        ("person_id", pa.int64()),
        ("category", pa.string()),
        ("identity", pa.string()),
    ]
)


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``.

    >>> month_bounds("2024-02")
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    y, m = (int(x) for x in month.split("-"))
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


@dataclass(frozen=True)
class Snapshot:
    month: str
    path: Path
    sha256: str
    people: int
    households: int
    used_path: Path
    used_sha256: str
    used_rows: int


def write_hashed(table: pa.Table, folder: Path, stem: str) -> tuple[Path, str]:
    """Write ``table`` to ``folder/<stem>-<hash16>.parquet``; return (path, sha256 of the file)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{stem}-{os.getpid()}.tmp"
    # one chunk per column: the file's bytes then depend on the content only, not on how the
    # in-memory table happens to be chunked. No Arrow schema is stored: dictionary-encoded
    # columns read back as the plain strings they are; only those are dictionary-encoded.
    dictionary = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
    pq.write_table(
        table.combine_chunks(),
        tmp,
        compression="zstd",
        row_group_size=1 << 20,
        use_dictionary=dictionary or False,
        store_schema=False,
        write_statistics=False,  # nothing filters on them; min/max of strings cost seconds
    )
    sha = file_sha256(tmp)
    final = folder / f"{stem}-{sha[:16]}.parquet"
    if final.exists():
        tmp.unlink()
    else:
        os.replace(tmp, final)
    return final, sha


def _dated(person: pa.Table, moved: pa.Table) -> pa.Table:
    """``person`` with each mover in their household of the month's last day; persons who were
    in no registered household then (a first entry dated later) are left out.

    >>> p = pa.table({"person_id": [1, 2, 3], "household_id": [10, 20, 30],
    ...               "resident_id": ["a", "b", "c"]})
    >>> m = pa.table({"person_id": [3, 2], "household_id": pa.array([None, 10], pa.int64())})
    >>> _dated(p, m).to_pydict()
    {'person_id': [1, 2], 'household_id': [10, 10], 'resident_id': ['a', 'b']}
    """
    if moved.num_rows == 0:
        return person
    idx = pc.index_in(person["person_id"], value_set=moved["person_id"])
    hid = pc.if_else(pc.is_null(idx), person["household_id"], pc.take(moved["household_id"], idx))
    person = person.set_column(person.schema.get_field_index("household_id"), "household_id", hid)
    return person.filter(pc.is_valid(hid)) if hid.null_count else person


_NONE = 127  # rank of "not monitored" (priority lists are far shorter)


def _ranks(category: pa.ChunkedArray | pa.Array, priority: tuple[str, ...]) -> np.ndarray:
    """Position of each category in ``priority`` (int8; ``_NONE`` when not listed).

    >>> _ranks(pa.array(["dibao", "x", "tekun"]), ("tekun", "dibao")).tolist()
    [1, 127, 0]
    """
    idx = pc.index_in(category, value_set=pa.array(priority, pa.string()))
    return np.asarray(idx.fill_null(_NONE).to_numpy(), dtype=np.int8)


def _labels(ranks: np.ndarray, priority: tuple[str, ...]) -> pa.Array:
    """Category codes for ranks (null for ``_NONE``), dictionary-encoded."""
    indices = pa.array(ranks, pa.int8(), mask=ranks == _NONE)
    return pa.DictionaryArray.from_arrays(indices, pa.array(priority, pa.string()))


def _positions(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Array positions for two sets of keys: the keys themselves when they are small enough to
    index arrays by (database serial keys are), else their ranks among all the keys.

    >>> [x.tolist() for x in _positions(np.array([3, 1]), np.array([1]))]
    [[3, 1], [1]]
    >>> [x.tolist() for x in _positions(np.array([7 << 40, 5]), np.array([5]))]
    [[1, 0], [0]]
    """
    n = len(a) + len(b)
    if all(not len(x) or (int(x.min()) >= 0 and int(x.max()) <= 4 * n + 1_000_000) for x in (a, b)):
        return a, b
    keys = np.unique(np.concatenate([a, b]))
    return np.searchsorted(keys, a), np.searchsorted(keys, b)


def _population(
    active: pa.Table, person: pa.Table, household: pa.Table, priority: tuple[str, ...]
) -> pa.Table:
    """Members of households with someone monitored, their category and household identity,
    ordered by person id (so equal registries give byte-equal snapshots). Township, category
    and identity come dictionary-encoded (SNAPSHOT_SCHEMA once cast; the Parquet file holds
    plain strings).

    The vectorised twin of :func:`safetynet.registry.rules.primary_category` (each person) and
    :func:`~safetynet.registry.rules.household_category` (each household); the tests compare
    them on random registries."""
    pid = person["person_id"].to_numpy()
    if len(pid) > 1 and not bool(np.all(pid[1:] > pid[:-1])):  # SQLite scans in id order
        person = person.take(pa.array(np.argsort(pid)))
        pid = person["person_id"].to_numpy()
    hid = person["household_id"].to_numpy()
    p_at, a_at = _positions(pid, active["person_id"].to_numpy())
    h_at, hh_at = _positions(hid, household["household_id"].to_numpy())
    best = np.full(int(max(p_at.max(initial=0), a_at.max(initial=0))) + 1, _NONE, np.int8)
    np.minimum.at(best, a_at, _ranks(active["category"], priority))
    rank = best[p_at]  # each person's primary category
    size = int(max(h_at.max(initial=0), hh_at.max(initial=0))) + 1
    ident = np.full(size, _NONE, np.int8)
    np.minimum.at(ident, h_at, rank)  # each household's identity
    row = np.full(size, -1, np.int64)
    row[hh_at] = np.arange(len(hh_at))
    keep = (ident[h_at] != _NONE) & (row[h_at] >= 0)
    everyone = bool(keep.all())  # the usual case: the registry holds monitored households
    mask = pa.array(keep)
    k_at = h_at if everyone else h_at[keep]
    towns = household["township_code"].combine_chunks().dictionary_encode()
    town_idx = towns.indices.to_numpy(zero_copy_only=False)
    return pa.table(
        [
            pa.array(hid if everyone else hid[keep], pa.int64()),
            pa.DictionaryArray.from_arrays(town_idx[row[k_at]], towns.dictionary),
            person["resident_id"] if everyone else person["resident_id"].filter(mask),
            pa.array(pid if everyone else pid[keep], pa.int64()),
            _labels(rank if everyone else rank[keep], priority),
            _labels(ident[k_at], priority),
        ],
        names=SNAPSHOT_SCHEMA.names,
    )


def _used_query(month: str) -> tuple[str, pa.Schema]:
    query = (
        "SELECT household_id, source, record_id FROM warning_evidence "
        f"WHERE month < '{month}' ORDER BY household_id, source, record_id"
    )
    return query, USED_SCHEMA


def freeze(engine: Engine, *, month: str, priority: tuple[str, ...], lake: Path) -> Snapshot:
    """Read the scored population of ``month`` from the registry and write it to the lake."""
    start, end = month_bounds(month)
    queries = registry_queries.snapshot_reads(start, end, dialect=engine.dialect.name)
    # one read transaction for the population and the evidence already used
    active, person, household, moved, used = bulkread.read(engine, [*queries, _used_query(month)])
    table = _population(active, _dated(person, moved), household, priority)
    del active, person, household, moved
    folder = lake / "snapshots" / f"month={month}"
    path, sha = write_hashed(table, folder, "people")
    used_path, used_sha = write_hashed(used, folder, "used")
    households = len(pc.unique(table["household_id"])) if table.num_rows else 0
    return Snapshot(
        month=month,
        path=path,
        sha256=sha,
        people=table.num_rows,
        households=households,
        used_path=used_path,
        used_sha256=used_sha,
        used_rows=used.num_rows,
    )
