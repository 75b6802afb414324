"""Monthly run: snapshot → score → warnings and run record, written in the caller's transaction.

Every function takes the caller's ``session`` (keyword) and never commits; ``backend`` names the
scoring backend (``duckdb`` or ``spark``), never the database.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from safetynet.config import get_settings
from safetynet.feeds.lake import month_partitions
from safetynet.hashing import file_sha256
from safetynet.monitoring import snapshot as snap
from safetynet.monitoring.engine import ScoringResult, make_backend, score_month
from safetynet.monitoring.explain import explain_household
from safetynet.monitoring.models import MonitoringRun, WarningMonth
from safetynet.monitoring.params import INDICATORS, LEVELS, ScoringParams
from safetynet.monitoring.schemas import LevelChange, RunListing, RunSummary, Simulation
from safetynet.monitoring.store import explanation_of, write_findings
from safetynet.output import record_ref, safe_explanation
from safetynet.parameters import ParameterSet
from safetynet.workflow.service import cases_covering, open_or_update_cases

__all__ = [
    "NoFeedData",
    "RunSummary",
    "build_findings",
    "explanations",
    "feed_partitions",
    "list_runs",
    "month_lock",
    "run_month",
    "score",
    "simulate",
]

Progress = Callable[[str], None]


class NoFeedData(LookupError):
    """No department feed of the month is in the lake: nothing to score (bilingual message)."""


def feed_partitions(lake: Path, month: str, *, required: bool = False) -> dict[str, list[Path]]:
    """The Parquet files of each source's partition for ``month`` (absent sources omitted).

    ``required``: raise :class:`NoFeedData` when no source has a partition for the month, since
    a run then could only report a reassuring but meaningless zero.
    """
    out = month_partitions(lake, month, INDICATORS)
    if required and not out:
        raise NoFeedData(
            f"{month} 没有任何部门数据，请先导入（safetynet feeds ingest-dir）/ no department "
            f"feed for {month} is in the lake ({lake / 'feeds'}); ingest the feeds first "
            "(safetynet feeds ingest-dir)"
        )
    return out


def score(
    *,
    params: ScoringParams,
    shot: snap.Snapshot,
    partitions: dict[str, list[Path]],
    backend: str = "duckdb",
    progress: Progress | None = None,
) -> ScoringResult:
    """Run the scoring SQL on the chosen backend over a frozen snapshot and the feed files."""
    scorer = make_backend(backend)
    try:
        return score_month(
            scorer,
            people=shot.path,
            partitions=partitions,
            used=shot.used_path,
            params=params,
            progress=progress,
        )
    finally:
        scorer.close()


def build_findings(result: ScoringResult, params: ScoringParams) -> dict[int, dict[str, Any]]:
    """The month's findings: household_id → {township_code, score, level, explanation,
    evidence rows}, for every household at blue or above, in household order (so that the
    rows written, and the ids of new cases, do not depend on the engine's row order)."""
    key = get_settings().record_key

    def ref(source: str, record_id: str) -> str:
        return record_ref(source, record_id, key=key)

    hits: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in result.evidence.to_pylist():
        hits[row["household_id"]].append(row)
    out: dict[int, dict[str, Any]] = {}
    for row in sorted(result.warnings.to_pylist(), key=lambda r: r["household_id"]):
        hh = row["household_id"]
        expl = explain_household(
            hits[hh],
            identity=row["identity"],
            factor=row["factor"],
            bonus=params.bonus,
            thresholds=params.thresholds,
            ref=ref,
        )
        if expl["score"] != row["score"] or expl["level"] != row["level"]:
            raise AssertionError(f"household {hh}: explanation does not match the engine")
        expl["parameter_version"] = params.version
        out[hh] = {
            "township_code": row["township_code"],
            "score": row["score"],
            "level": row["level"],
            "explanation": expl,
            "evidence": hits[hh],
        }
    return out


def _counts(
    warnings: dict[int, dict[str, Any]],
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    by_level = dict.fromkeys(LEVELS, 0)
    by_pref: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LEVELS, 0))
    for w in warnings.values():
        by_level[w["level"]] += 1
        by_pref[w["township_code"][:4]][w["level"]] += 1
    return by_level, dict(sorted(by_pref.items()))


def _inputs(shot: snap.Snapshot, partitions: dict[str, list[Path]]) -> dict[str, Any]:
    feeds = {
        source: [{"path": str(p), "sha256": file_sha256(p)} for p in files]
        for source, files in sorted(partitions.items())
    }
    return {
        "feeds": feeds,
        "snapshot": {
            "path": str(shot.path),
            "sha256": shot.sha256,
            "people": shot.people,
            "households": shot.households,
        },
        "used_evidence": {
            "path": str(shot.used_path),
            "sha256": shot.used_sha256,
            "rows": shot.used_rows,
        },
    }


def _same_inputs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def key(x: dict[str, Any]) -> Any:
        return (
            {s: [f["sha256"] for f in fs] for s, fs in x["feeds"].items()},
            x["snapshot"]["sha256"],
            x["used_evidence"]["sha256"],
        )

    return bool(key(a) == key(b))


def _engine_of(session: Session) -> Engine:
    """The engine behind ``session``, for the snapshot's bulk read of committed rows."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def month_lock_path(lake: Path, month: str) -> Path:
    """The lock file of one month's runs: ``<lake>/snapshots/.run-YYYY-MM.lock``."""
    return lake / "snapshots" / f".run-{month}.lock"


@contextmanager
def month_lock(
    lake: Path, month: str, *, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the exclusive lock of ``month``'s runs, waiting as long as another run holds it.

    An ``flock`` on a file in the lake (which every host running the monitoring shares), not a
    database lock: the database is written only in the run's short final transaction. The
    kernel drops the lock when its holder exits, even by ``kill -9``. ``on_wait`` is called
    once if the lock is taken, before the wait begins.
    """
    path = month_lock_path(lake, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def run_month(
    *,
    session: Session,
    month: str,
    parameters: ParameterSet,
    lake: Path,
    backend: str = "duckdb",
    progress: Progress | None = None,
) -> RunSummary:
    """Run the monitoring of ``month`` and write its warnings and run record in ``session``.

    The snapshot reads the committed registry through its own bulk connection; the writes go
    into the caller's transaction, which commits them together (or none of them). Callers
    serialise runs of one month by holding :func:`month_lock` around their whole unit of work
    (its commit included): a second run started meanwhile then waits, sees the first one's
    inputs and is logged as a repeat. ``month`` must be one that runs accept
    (:func:`safetynet.months.check`, else :class:`~safetynet.months.MonthError`).
    """
    from safetynet.months import check

    check(month)
    from safetynet.monitoring.params import scoring_params

    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    params = scoring_params(parameters, month)
    partitions = feed_partitions(lake, month, required=True)
    shot = snap.freeze(_engine_of(session), month=month, priority=params.priority, lake=lake)
    timings["snapshot"] = round(time.perf_counter() - t0, 4)
    if progress:
        progress("snapshot")
    inputs = _inputs(shot, partitions)
    t1 = time.perf_counter()
    result = score(
        params=params, shot=shot, partitions=partitions, backend=backend, progress=progress
    )
    warnings = build_findings(result, params)
    timings["scoring"] = round(time.perf_counter() - t1, 4)
    timings.update({f"scoring.{k}": v for k, v in result.timings.items()})
    by_level, by_pref = _counts(warnings)
    unmatched = {k: v["unmatched"] for k, v in result.counts.items()}
    missing = [source for source in INDICATORS if source not in partitions]
    conn = session.connection()
    previous = conn.execute(
        select(MonitoringRun.inputs, MonitoringRun.parameter_version).where(
            MonitoringRun.month == month
        )
    ).all()
    repeat = any(v == params.version and _same_inputs(i, inputs) for i, v in previous)
    t2 = time.perf_counter()
    new = updated = 0
    if not repeat:  # monitoring writes its findings; the workflow opens or updates cases
        findings = write_findings(
            conn, month, warnings, params.version, started, rerun=bool(previous)
        )
        cases = open_or_update_cases(session=session, findings=findings, now=started)
        new, updated = cases.opened, cases.updated
    timings["write"] = round(time.perf_counter() - t2, 4)
    timings["total"] = round(time.perf_counter() - t0, 4)
    counts = {
        "by_level": by_level,
        "by_prefecture": by_pref,
        "warnings": len(warnings),
        "scored_households": shot.households,
        "scored_people": shot.people,
        "households_with_hits": result.scores.num_rows,
        "records": {k: v["records"] for k, v in result.counts.items()},
        "reused": {k: v["reused"] for k, v in result.counts.items()},
        "missing_sources": missing,
    }
    run_id = conn.execute(
        insert(MonitoringRun).returning(MonitoringRun.id),
        {
            "month": month,
            "engine": backend,
            "parameter_version": params.version,
            "snapshot_hash": shot.sha256,
            "snapshot_path": str(shot.path),
            "inputs": inputs,
            "counts": counts,
            "unmatched": unmatched,
            "timings": timings,
            "warnings_new": new,
            "warnings_updated": updated,
            "repeat": repeat,
            "started_at": started,
            "finished_at": datetime.now(UTC),
        },
    ).scalar_one()
    if progress:
        progress("write")
    return RunSummary(
        run_id=run_id,
        month=month,
        backend=backend,
        repeat=repeat,
        parameter_version=params.version,
        snapshot_hash=shot.sha256,
        by_level=by_level,
        by_prefecture=by_pref,
        unmatched=unmatched,
        warnings_new=new,
        warnings_updated=updated,
        timings=timings,
        missing_sources=missing,
    )


def explanations(*, session: Session, household_id: int, month: str) -> list[dict[str, Any]]:
    """The explanation of ``household_id`` for ``month``, once per case covering it (newest
    first), with the case's id, open/closed and level (``warning_id``, ``status``,
    ``warning_level``), as it may be shown (:func:`safetynet.output.safe_explanation`)."""
    key = get_settings().record_key
    row = session.execute(
        select(WarningMonth).where(
            WarningMonth.household_id == household_id, WarningMonth.month == month
        )
    ).scalar_one_or_none()
    if row is None:
        return []
    cases = cases_covering(session=session, finding_id=row.id)
    explanation = explanation_of(row)
    return [
        {
            "warning_id": c["case_id"],
            "status": "closed" if c["state"] == "closed" else "open",
            "warning_level": c["level"],
            "month": month,
            **safe_explanation(explanation, key=key),
        }
        for c in cases
    ]


def simulate(
    *,
    session: Session,
    month: str,
    current: ParameterSet,
    proposed: ParameterSet,
    lake: Path,
    backend: str = "duckdb",
) -> Simulation:
    """Level counts under both parameter sets and the households whose level would change
    (reads only: nothing is written)."""
    from safetynet.monitoring.params import scoring_params

    cur_p, new_p = scoring_params(current, month), scoring_params(proposed, month)
    shot = snap.freeze(_engine_of(session), month=month, priority=cur_p.priority, lake=lake)
    partitions = feed_partitions(lake, month, required=True)
    levels = {}
    for tag, p in (("current", cur_p), ("proposed", new_p)):
        res = score(params=p, shot=shot, partitions=partitions, backend=backend)
        levels[tag] = {r["household_id"]: (r["level"], r["score"]) for r in res.scores.to_pylist()}
    counts = {
        tag: {lv: sum(1 for v in d.values() if v[0] == lv) for lv in LEVELS}
        for tag, d in levels.items()
    }
    changed = [
        LevelChange(
            household_id=hh,
            level_from=levels["current"].get(hh, (None, 0))[0],
            level_to=levels["proposed"].get(hh, (None, 0))[0],
            score_from=levels["current"].get(hh, (None, 0))[1],
            score_to=levels["proposed"].get(hh, (None, 0))[1],
        )
        for hh in sorted(set(levels["current"]) | set(levels["proposed"]))
        if levels["current"].get(hh, (None, 0))[0] != levels["proposed"].get(hh, (None, 0))[0]
    ]
    return Simulation(
        month=month,
        current_version=cur_p.version,
        proposed_version=new_p.version,
        counts=counts,
        changed=changed,
    )


def list_runs(*, session: Session, limit: int = 20) -> list[RunListing]:
    """The most recent monitoring runs, newest first."""
    rows = session.scalars(select(MonitoringRun).order_by(MonitoringRun.id.desc()).limit(limit))
    return [
        RunListing(
            id=r.id,
            month=r.month,
            backend=r.engine,
            parameter_version=r.parameter_version,
            snapshot_hash=r.snapshot_hash,
            repeat=r.repeat,
            warnings_new=r.warnings_new,
            warnings_updated=r.warnings_updated,
            started_at=r.started_at,
            finished_at=r.finished_at,
            by_level=r.counts.get("by_level"),
            unmatched=r.unmatched,
            seconds=r.timings.get("total"),
        )
        for r in rows
    ]
