"""Calculators over the whole monitored population: premium subsidies and annual medical
assistance for 4.29 M synthetic people (numpy columns: group codes, dibao class, oop in fen,
major-disease flag), vectorised rules of safetynet.policy.medical_vector."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa

from benchmarks._harness import Result, best_of
from safetynet.policy.medical import DIBAO_CLASSES, GROUPS
from safetynet.policy.medical_vector import annual_vec, premium_totals, premium_vec

FULL = 4_290_000
TARGET_S = 2.0


def _population(n: int, seed: int = 2024) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    # rough shares of the province: dibao, tekun, edge, prone/lifted, ill, none
    share = np.array([0.024, 0.443, 0.03, 0.06, 0.057, 0.068, 0.02, 0.298])
    group = rng.choice(len(GROUPS), size=n, p=share / share.sum()).astype(np.int8)
    cls = rng.integers(-1, len(DIBAO_CLASSES), size=n)  # -1: class not recorded
    names = np.array([*DIBAO_CLASSES, None], dtype=object)
    dibao_class = pa.DictionaryArray.from_arrays(
        pa.array(np.where(cls < 0, len(DIBAO_CLASSES), cls).astype(np.int8)),
        pa.array(names.tolist(), pa.string()),
    )
    hospitalised = rng.random(n) < 0.1
    oop = np.where(hospitalised, rng.lognormal(9.2, 1.1, n) * 100, 0).astype(np.int64)
    major = hospitalised & (rng.random(n) < 0.05)
    prefecture = pa.DictionaryArray.from_arrays(
        pa.array(rng.integers(0, 14, n).astype(np.int8)),
        pa.array([f"62{i:02d}" for i in range(1, 15)]),
    )
    return {
        "group": group,
        "dibao_class": dibao_class,
        "oop": oop,
        "major": major,
        "prefecture": prefecture,
    }


def run(quick: bool) -> list[Result]:
    n = 100_000 if quick else FULL
    cols = _population(n)

    def both() -> tuple[object, object]:
        prem = premium_vec(cols["group"], cols["dibao_class"], year=2024)
        med = annual_vec(cols["group"], cols["oop"], cols["major"], year=2024)
        return prem, med

    premium_vec(cols["group"][:10], cols["dibao_class"][:10], year=2024)  # load parameters
    wall, (prem, med) = best_of(both, repeat=3)
    totals_wall, rows = best_of(
        lambda: premium_totals(cols["prefecture"], cols["group"], cols["dibao_class"], year=2024),
        repeat=3,
    )
    scale = FULL / n
    subsidy = int(prem[0].sum()) / 100
    assistance = int(med["assistance"].sum()) / 100
    cores = os.cpu_count()
    return [
        Result(
            "premium subsidy + annual medical assistance, 4.29 M people",
            wall * scale,
            "s",
            target=f"≤ {TARGET_S:.0f} s on 2 cores",
            ok=wall * scale <= TARGET_S,
            notes=(
                f"{n:,} people measured{' (scaled to 4.29 M)' if scale != 1 else ''}, "
                f"{cores} cores; premium subsidies {subsidy:,.0f} yuan, assistance "
                f"{assistance:,.0f} yuan in the synthetic sample"
            ),
        ),
        Result(
            "premium totals by prefecture and group, 4.29 M people",
            totals_wall * scale,
            "s",
            notes=f"{len(rows)} (prefecture, group) rows",
        ),
        Result("throughput", n / wall / 1e6, "M people/s"),
    ]
