"""The peer of the monitoring benchmark: the same scoring rules written plainly in pandas.

Reads the same inputs as the engine (snapshot Parquet, the month's feed partitions, the evidence
already used) and returns the same two tables: household scores (households with a hit) and the
evidence of the households reaching blue. ``tests/unit/monitoring/test_peer_pandas.py`` keeps it
equal to the engine on a small input; the benchmark asserts equality at full scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.monitoring.engine import FEED_COLUMNS, param_tables
from safetynet.monitoring.params import INDICATORS, LEVELS, ScoringParams

__all__ = ["comparable", "score_month_pandas"]

#: The snapshot columns the peer reads (it joins on the resident ID string itself).
PEOPLE = ["household_id", "township_code", "resident_id", "identity"]


def _read(paths: list[Path], columns: dict[str, pa.DataType]) -> pd.DataFrame:
    frames = []
    for path in paths:
        have = set(pq.read_schema(path).names)
        table = pq.read_table(path, columns=[c for c in columns if c in have])
        frames.append(table.to_pandas())
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for c in columns:
        if c not in df:
            df[c] = None
    return df[list(columns)]


def _feed(partitions: dict[str, list[Path]]) -> pd.DataFrame:
    parts = []
    for source in INDICATORS:
        df = _read(partitions.get(source, []), FEED_COLUMNS[source])
        out = pd.DataFrame(
            {
                "indicator": source,
                "record_id": df["record_id"].astype(object),
                "resident_id": df["resident_id"].astype(object).str.strip().str.upper(),
            }
        )
        out["mkey"] = None
        out["amount"] = np.nan
        if source == "hospital":
            out["amount"] = df["oop"].astype(float)
        elif source == "disease":
            out["mkey"] = np.where(
                df["major_disease"].fillna(False).astype(bool), "major", "chronic"
            )
        elif source in ("university", "relapse"):
            out["mkey"] = df["level" if source == "university" else "subtype"].astype(object)
        elif source == "disability":
            out["mkey"] = "grade_" + df["grade"].astype("Int64").astype(str)
        parts.append(out)
    return pd.concat(parts, ignore_index=True)


def _modifiers(feed: pd.DataFrame, p_modifier: pd.DataFrame) -> pd.Series:
    """The severity modifier (milli) of each feed row; 1000 when no modifier applies."""
    factor = pd.Series(1000, index=feed.index, dtype="int64")
    amount = feed["amount"].fillna(0.0)
    for m in p_modifier.itertuples(index=False):
        hit = feed["indicator"] == m.indicator
        if not pd.isna(m.mkey):
            hit &= feed["mkey"] == m.mkey
        if not pd.isna(m.lo):
            hit &= amount >= float(m.lo)
        if not pd.isna(m.hi):
            hit &= amount < float(m.hi)
        factor[hit] = m.factor
    return factor


def score_month_pandas(
    *,
    people: Path,
    partitions: dict[str, list[Path]],
    used: Path,
    params: ScoringParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, evidence) as the engine computes them: see src/safetynet/monitoring/sql/."""
    tables = {k: v.to_pandas() for k, v in param_tables(params).items()}
    pop = pq.read_table(people, columns=PEOPLE).to_pandas()
    feed = _feed(partitions)
    weights = dict(zip(tables["p_weight"]["indicator"], tables["p_weight"]["weight"], strict=True))
    feed = feed[feed["indicator"].isin(weights)].copy()
    feed["weight"] = feed["indicator"].map(weights).astype("int64")
    feed["modifier"] = _modifiers(feed, tables["p_modifier"])
    feed["points_micro"] = feed["weight"] * feed["modifier"]
    m = feed.merge(pop, on="resident_id", how="inner")
    done = pq.read_table(used).to_pandas()
    done["reused"] = 1
    m = m.merge(
        done,
        left_on=["household_id", "indicator", "record_id"],
        right_on=["household_id", "source", "record_id"],
        how="left",
    )
    m = m[m["reused"].isna()]
    g = m.groupby(["household_id", "township_code", "identity"], sort=False)
    hh = g.agg(
        base_micro=("points_micro", "sum"),
        n_indicators=("indicator", "nunique"),
        n_hits=("indicator", "size"),
    ).reset_index()
    ident = dict(zip(tables["p_identity"]["category"], tables["p_identity"]["factor"], strict=True))
    hh["factor"] = hh["identity"].map(ident).fillna(1000).astype("int64")
    s = tables["p_scalar"].iloc[0]
    nano = hh["factor"] * hh["base_micro"] + int(s["bonus"]) * 1_000_000 * (hh["n_indicators"] - 1)
    hh["score"] = np.floor((nano + 500_000_000) / 1e9).astype("int64")
    hh["level"] = None
    for level in LEVELS:
        hh.loc[hh["score"] >= int(s[level]), "level"] = level
    warned = hh.loc[hh["level"].notna(), ["household_id"]]
    cols = ["household_id", "indicator", "record_id", "resident_id", "mkey", "amount"]
    evidence = m.merge(warned, on="household_id")[
        [*cols, "weight", "modifier", "points_micro"]
    ].reset_index(drop=True)
    return hh, evidence


def comparable(scores: pa.Table | pd.DataFrame, evidence: pa.Table | pd.DataFrame) -> tuple:
    """Warnings (households reaching blue) and their evidence as sorted plain tuples."""
    if isinstance(scores, pa.Table):
        scores = scores.to_pandas()
    if isinstance(evidence, pa.Table):
        evidence = evidence.to_pandas()
    keys = ["household_id", "score", "level", "factor", "base_micro", "n_indicators", "n_hits"]
    w = scores.loc[scores["level"].notna(), keys]
    e = evidence[["household_id", "indicator", "record_id", "resident_id", "points_micro"]]
    as_tuples = [
        sorted(
            tuple(int(v) if isinstance(v, np.integer) else v for v in row)
            for row in df.itertuples(index=False)
        )
        for df in (w, e)
    ]
    return tuple(as_tuples)
