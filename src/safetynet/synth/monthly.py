"""Draw, build, soil and write the monthly feed files (``feeds/YYYY-MM/<source>.<ext>``)."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safetynet.synth._util import stream
from safetynet.synth.dirty import KINDS, RECOVERABLE, inject
from safetynet.synth.feeds import (
    COLUMNS,
    FORMATS,
    World,
    draw_unique,
    draw_with_replacement,
    feed_table,
    weights,
)
from safetynet.synth.idgen import birth_year, build_id_matrix, matrix_to_strings
from safetynet.synth.names import person_names
from safetynet.synth.tables import MONTHLY_VOLUME, UNIVERSITY_PER_YEAR
from safetynet.synth.writers import write_csv, write_parquet, write_xlsx

__all__ = ["ENCODING", "write_feeds"]

ENCODING = {"disease": "gb18030", "death": "utf-8-sig"}
_UNIQUE = ("disease", "disability", "unemployment", "relapse")
_NEVER = 1 << 14


def _split(people: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    return np.split(people, np.cumsum(sizes)[:-1]) if sizes else []


def _names(world: World, reg_names: pa.Array, person: np.ndarray, seed: int) -> pa.Array:
    """Registry names for registry people, key-derived names for everyone else."""
    in_reg = person < world.registry_size
    a = reg_names.take(pa.array(person[in_reg]))
    other = person[~in_reg]
    b = person_names(other.astype(np.uint64), world.male[other], seed)
    idx = np.empty(len(person), dtype=np.int64)
    idx[in_reg] = np.arange(len(a))
    idx[~in_reg] = len(a) + np.arange(len(b))
    return pa.concat_arrays([a, b]).take(pa.array(idx))


def write_feeds(
    *,
    seed: int,
    scale: float,
    out: Path,
    world: World,
    codes: np.ndarray,
    reg_names: pa.Array,
    months: list[tuple[int, int]],
    executor: Executor,
) -> list[dict[str, object]]:
    """All feed files; returns one manifest entry per file."""
    nm = len(months)
    volume = {s: round(v * scale) for s, v in MONTHLY_VOLUME.items()}
    plan: dict[tuple[str, int], np.ndarray] = {}

    # Deaths first: nobody appears in a feed after the month of their death.
    dead = draw_unique(
        stream(seed, "draw", "death"),
        weights("death", world.wkey),
        volume["death"] * nm,
    )
    death_month = np.full(len(world.age), _NEVER, dtype=np.int16)
    for i, part in enumerate(_split(dead, [volume["death"]] * nm)):
        plan["death", i] = part
        death_month[part] = i
    alive_all_run = death_month == _NEVER
    for source in _UNIQUE:
        w = weights(source, world.wkey) * alive_all_run
        people = draw_unique(stream(seed, "draw", source), w, volume[source] * nm)
        for i, part in enumerate(_split(people, [volume[source]] * nm)):
            plan[source, i] = part
    uni_months = [i for i, (_, m) in enumerate(months) if m in (7, 8)]
    if uni_months:
        sizes = [
            round(UNIVERSITY_PER_YEAR * scale * (0.4 if months[i][1] == 7 else 0.6))
            for i in uni_months
        ]
        w = weights("university", world.wkey) * alive_all_run
        people = draw_unique(stream(seed, "draw", "university"), w, sum(sizes))
        for i, part in zip(uni_months, _split(people, sizes), strict=True):
            plan["university", i] = part
    cdf = np.cumsum(weights("hospital", world.wkey))
    for i in range(nm):
        k = volume["hospital"]
        drawn = draw_with_replacement(
            stream(seed, "draw", "hospital", str(i)), cdf, int(k * 1.02) + 10
        )
        plan["hospital", i] = drawn[death_month[drawn] >= i][:k]

    serial_start: dict[tuple[str, int], int] = {}
    total = 0
    for i in uni_months:
        serial_start["university", i] = total
        total += len(plan["university", i])
    jobs = [
        executor.submit(
            _write_one, seed, out, world, codes, reg_names, source, months[i], person,
            serial_start.get((source, i), 0),
        )
        for (source, i), person in sorted(plan.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]  # fmt: skip
    return [job.result() for job in jobs]


def _write_one(
    seed: int,
    out: Path,
    world: World,
    codes: np.ndarray,
    reg_names: pa.Array,
    source: str,
    month: tuple[int, int],
    person: np.ndarray,
    serial_start: int,
) -> dict[str, object]:
    y, m = month
    rng = stream(seed, "feed", source, f"{y}-{m}")
    rows = feed_table(source, rng, person, month, world, serial_start)
    mat = build_id_matrix(
        codes, world.county[person], world.birth[person], world.male[person], world.slot[person]
    )
    cols = dict(rows.columns)
    suffix = cols.pop("_suffix", None)
    if suffix is not None:  # disability certificate number = ID + type digit + grade digit
        cols["残疾人证号"] = pc.binary_join_element_wise(matrix_to_strings(mat), suffix, "")
    cols["姓名"] = _names(world, reg_names, person, seed)
    year = birth_year(world.birth[person])
    soiled, tally, _kind = inject(source, rng, cols, mat, year, month)
    table = pa.table({c: soiled[c] for c in COLUMNS[source]})
    folder = out / "feeds" / f"{y:04d}-{m:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    fmt = FORMATS[source]
    path = folder / f"{source}.{fmt}"
    if fmt == "parquet":
        write_parquet(table, path)
    elif fmt == "xlsx":
        write_xlsx(table, path)
    else:
        write_csv(table, path, ENCODING[source])
    dirty_rows = sum(tally.values())
    recoverable = sum(tally[k] for k in RECOVERABLE)
    in_reg = person < world.registry_size
    return {
        "file": str(path.relative_to(out)),
        "source": source,
        "month": f"{y:04d}-{m:02d}",
        "format": fmt,
        "encoding": ENCODING.get(source, "utf-8") if fmt == "csv" else None,
        "rows": len(person),
        "dirty_rows": dirty_rows,
        "recoverable_rows": recoverable,
        "rejected_rows": dirty_rows - recoverable,
        "dirty": {k: tally[k] for k in KINDS},
        "registry_rows": int(in_reg.sum()),
        "monitored_rows": int((world.cat[person] > 0).sum()),
    }
