"""Division table service: import official tables, load the shipped data, query the tree.

Imports are idempotent upserts: every file of one import is read and checked first, then
written top level first, with executemany batches (SQLite and PostgreSQL), in the caller's
transaction: every function takes the caller's ``session`` and never commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from safetynet.regions._files import DivisionFileError, RawRow, read_division_file
from safetynet.regions._plan import Candidate, Plan, Stored, codes_to_look_up, make_plan, validate
from safetynet.regions.builtin import builtin_divisions
from safetynet.regions.models import Region
from safetynet.regions.schemas import FileReport, ImportReport, RegionInfo, RejectedRow
from safetynet.regions.tree import Level, RegionCodeError, canonical
from safetynet.regions.tree import chain as code_chain

__all__ = [
    "DivisionFileError",
    "Progress",
    "RegionCodeError",
    "UnknownRegion",
    "chain",
    "children",
    "codes_at_level",
    "counts_by_level",
    "get",
    "import_divisions",
    "in_scope",
    "load_builtin",
    "names",
    "upsert",
]

#: Called as ``progress(done, total)`` while rows are written.
Progress = Callable[[int, int], None]

_CHUNK = 500  # codes per IN (...) lookup; well under SQLite's parameter limit
_BATCH = 20_000  # rows per executemany / COPY call
_SCAN_ABOVE = 20_000  # look-ups above this many codes scan by province instead of IN (...)


class UnknownRegion(LookupError):
    """A well-formed code that is not in the division table."""

    def __init__(self, code: str) -> None:
        super().__init__(
            f"区划代码 {code} 不在区划表中（可先运行 safetynet regions import）/ "
            f"division code {code} is not in the division table"
        )
        self.code = code


def in_scope(column: Any, scope_code: str) -> ColumnElement[bool]:
    """SQL test "the region in ``column`` is ``scope_code`` or inside it".

    The SQL twin of :func:`safetynet.regions.tree.within`: a prefix ``LIKE`` on canonical codes
    (which every table stores), so it uses the index on the column. Raises
    :class:`~safetynet.regions.tree.RegionCodeError` for a malformed scope.
    """
    scope = canonical(scope_code)  # digits only: nothing to escape in the pattern
    clause: ColumnElement[bool] = column.like(scope + "%")
    return clause


def _info(row: Any) -> RegionInfo:
    return RegionInfo(code=row.code, name=row.name, level=row.level, parent_code=row.parent_code)


def _fetch(conn: Connection, codes: Iterable[str]) -> dict[str, Stored]:
    """Stored rows for ``codes``: IN (...) lookups, or a scan by province for big batches."""
    wanted = set(codes)
    out: dict[str, Stored] = {}
    cols = (Region.code, Region.name, Region.level, Region.parent_code)
    if len(wanted) > _SCAN_ABOVE:
        levels = sorted({len(c) for c in wanted})
        for province in sorted({c[:2] for c in wanted}):
            query = select(*cols).where(in_scope(Region.code, province), Region.level.in_(levels))
            for r in conn.execute(query):
                if r.code in wanted:
                    out[r.code] = Stored(r.name, r.level, r.parent_code)
        return out
    ordered = sorted(wanted)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        for r in conn.execute(select(*cols).where(Region.code.in_(chunk))):
            out[r.code] = Stored(r.name, r.level, r.parent_code)
    return out


_COLUMNS = ("code", "name", "level", "parent_code", "source")


def _insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Bulk insert: PostgreSQL COPY, elsewhere one executemany."""
    if conn.dialect.name == "postgresql":
        import psycopg

        raw = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)
        with raw.cursor() as cur, cur.copy(f"COPY region ({', '.join(_COLUMNS)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(tuple(r[c] for c in _COLUMNS))
    else:
        conn.execute(insert(Region), rows)


def _write(
    conn: Connection, plan: Plan, sources: dict[str, str], progress: Progress | None
) -> None:
    total, done = len(plan.insert) + len(plan.update), 0

    def rows(items: Sequence[Candidate]) -> list[dict[str, Any]]:
        return [
            {
                "code": c.code,
                "name": c.name,
                "level": c.level,
                "parent_code": c.parent_code,
                "source": sources[c.row.file][:200],
            }
            for c in items
        ]

    # plan.insert is sorted by level, so every parent is written before its children.
    for i in range(0, len(plan.insert), _BATCH):
        batch = plan.insert[i : i + _BATCH]
        _insert(conn, rows(batch))
        done += len(batch)
        if progress:
            progress(done, total)
    stmt = (
        update(Region)
        .where(Region.code == bindparam("b_code"))
        .values(
            name=bindparam("name"),
            level=bindparam("level"),
            parent_code=bindparam("parent_code"),
            source=bindparam("source"),
        )
    )
    for i in range(0, len(plan.update), _BATCH):
        batch = plan.update[i : i + _BATCH]
        conn.execute(stmt, [{"b_code": r["code"], **r} for r in rows(batch)])
        done += len(batch)
        if progress:
            progress(done, total)


def _report(plan: Plan, files: list[tuple[str, str, int]]) -> ImportReport:
    accepted = plan.insert + plan.update + plan.unchanged
    loaded = Counter(c.row.file for c in accepted)
    dups = Counter(r.file for r in plan.duplicates)
    rejected = Counter(r.file for r, _ in plan.rejected)
    return ImportReport(
        files=[
            FileReport(
                file=name,
                encoding=enc,
                rows=n,
                loaded=loaded[name],
                duplicates=dups[name],
                rejected=rejected[name],
            )
            for name, enc, n in files
        ],
        new=len(plan.insert),
        updated=len(plan.update),
        unchanged=len(plan.unchanged),
        duplicates=len(plan.duplicates),
        rejected=[
            RejectedRow(file=r.file, line=r.line, code=r.code, name=r.name, reason=reason)
            for r, reason in plan.rejected
        ],
        loaded_by_level=dict(sorted(Counter(c.level for c in accepted).items())),
    )


def _run(
    *,
    session: Session,
    rows: list[RawRow],
    sources: dict[str, str],
    files: list[tuple[str, str, int]],
    progress: Progress | None,
) -> ImportReport:
    checked = [validate(r) for r in rows]
    candidates = [c for c in checked if isinstance(c, Candidate)]
    conn = session.connection()
    existing = _fetch(conn, codes_to_look_up(candidates))
    plan = make_plan(rows, existing, checked=checked)
    _write(conn, plan, sources, progress)
    return _report(plan, files)


def import_divisions(
    *, session: Session, paths: Sequence[Path | str], progress: Progress | None = None
) -> ImportReport:
    """Import official division tables (CSV; UTF-8, UTF-8-BOM or GB18030), in any order.

    Raises :class:`DivisionFileError` (nothing written) when a file cannot be read at all.
    """
    rows: list[RawRow] = []
    files: list[tuple[str, str, int]] = []
    sources: dict[str, str] = {}
    for p in paths:
        path = Path(p)
        encoding, file_rows = read_division_file(path)
        label = path.name
        if label in sources:  # two files of the same name from different folders
            label = str(path)
            file_rows = [RawRow(label, r.line, r.code, r.name, r.parents) for r in file_rows]
        sources[label] = f"import:{path.name}"
        files.append((label, encoding, len(file_rows)))
        rows.extend(file_rows)
    return _run(session=session, rows=rows, sources=sources, files=files, progress=progress)


def upsert(
    *, session: Session, rows: Iterable[tuple[str, str]], source: str = "synthetic"
) -> ImportReport:
    """Load (code, name) pairs with the same checks as a file import, e.g. synthetic townships."""
    raw = [RawRow(source, i, str(code), name) for i, (code, name) in enumerate(rows, start=1)]
    return _run(
        session=session,
        rows=raw,
        sources={source: source},
        files=[(source, "-", len(raw))],
        progress=None,
    )


def load_builtin(*, session: Session) -> ImportReport:
    """Load the shipped Gansu province, prefectures and counties (idempotent)."""
    return upsert(session=session, rows=builtin_divisions(), source="builtin")


def get(*, session: Session, code: str) -> RegionInfo | None:
    """The stored division for ``code`` (any accepted spelling), or None."""
    row = session.scalars(select(Region).where(Region.code == canonical(code))).first()
    return _info(row) if row else None


def names(*, session: Session, codes: Iterable[str]) -> dict[str, str]:
    """code → name for the stored divisions among ``codes`` (codes as stored; unknown ones
    are left out)."""
    wanted = sorted(set(codes))
    out: dict[str, str] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        rows = session.execute(select(Region.code, Region.name).where(Region.code.in_(chunk)))
        out.update((code, name) for code, name in rows)
    return out


def chain(*, session: Session, code: str) -> list[RegionInfo]:
    """The division and its ancestors, province first; :class:`UnknownRegion` if not stored."""
    codes = code_chain(code)
    found = {
        r.code: _info(r) for r in session.scalars(select(Region).where(Region.code.in_(codes)))
    }
    if codes[-1] not in found:
        raise UnknownRegion(codes[-1])
    return [found[c] for c in codes if c in found]


def children(*, session: Session, code: str | None) -> list[RegionInfo]:
    """The direct children of ``code`` ordered by code (``None``: the provinces)."""
    parent = None if code is None else canonical(code)
    cond = Region.parent_code.is_(None) if parent is None else Region.parent_code == parent
    return [_info(r) for r in session.scalars(select(Region).where(cond).order_by(Region.code))]


def codes_at_level(*, session: Session, level: Level, within: str) -> list[str]:
    """The stored codes of ``level`` inside ``within`` (e.g. every township of a province)."""
    query = select(Region.code).where(Region.level == int(level), in_scope(Region.code, within))
    return list(session.scalars(query.order_by(Region.code)))


def counts_by_level(*, session: Session) -> dict[Level, int]:
    """Number of stored divisions at every level (levels without any row give 0)."""
    rows = session.execute(select(Region.level, func.count()).group_by(Region.level)).all()
    counts = {Level(level): n for level, n in rows}
    return {level: counts.get(level, 0) for level in Level}
