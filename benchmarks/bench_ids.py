"""Resident-ID validation: the vectorised checker over a column of IDs, with the scalar checker
beside it for the ratio. Target: ≥ 2 M IDs/s on one core, judged on the process's CPU time
(wall clock is shown too; it grows when other jobs share the machine)."""

from __future__ import annotations

import os
from datetime import date

import numpy as np
import pyarrow as pa

from benchmarks._harness import Result, best_of_cpu
from safetynet import ids


def make_ids(n: int, seed: int = 1) -> pa.Array:
    """``n`` realistic IDs: valid ones with ~1.5 % damaged (15-digit, lowercase x, bad check)."""
    rng = np.random.default_rng(seed)
    region = rng.integers(620102, 623027, n)
    born = np.datetime64("1930-01-01") + rng.integers(0, 90 * 365, n).astype("timedelta64[D]")
    seq = rng.integers(0, 1000, n)
    first17 = np.char.add(
        np.char.add(region.astype("U6"), np.datetime_as_string(born).astype("U10")),
        np.char.zfill(seq.astype("U3"), 3),
    )
    first17 = np.char.replace(first17, "-", "")
    digits = first17.view("U1").reshape(n, 17).astype(np.int64)
    check = np.array(list(ids.CHECK_CHARS))[(digits @ np.array(ids.WEIGHTS)) % 11]
    full = np.char.add(first17, check)
    damaged = rng.random(n) < 0.015
    full[damaged] = np.char.add(first17[damaged], "0")
    return pa.array(full.tolist(), type=pa.string())


def run(quick: bool) -> list[Result]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    n = 200_000 if quick else 2_000_000
    column = make_ids(n)
    today = date(2026, 11, 29)
    wall, seconds, table = best_of_cpu(lambda: ids.check_array(column, today=today), repeat=3)
    sample = column.slice(0, 100_000).to_pylist()
    _, scalar_s, _ = best_of_cpu(lambda: [ids.check(x, today=today) for x in sample], repeat=1)
    vec_rate = n / seconds
    scalar_rate = len(sample) / scalar_s
    valid = table.column("valid").to_numpy(zero_copy_only=False).mean()
    return [
        Result(
            "vectorised check_array",
            vec_rate / 1e6,
            "M IDs/s",
            "≥ 2 M IDs/s",
            vec_rate >= 2e6,
            notes=f"{n:,} IDs, {valid:.1%} valid; rates from process CPU time (one core)",
        ),
        Result("vectorised check_array, wall clock", n / wall / 1e6, "M IDs/s"),
        Result("scalar check()", scalar_rate / 1e6, "M IDs/s", notes="per-value Python loop"),
        Result("vectorised / scalar", vec_rate / scalar_rate, "×"),
    ]
