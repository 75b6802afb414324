"""Run the monitoring SQL (``sql/*.sql``) on DuckDB (default) or Spark over Parquet inputs.

The SQL is a portable subset (CTEs, joins, CASE, COALESCE, GROUP BY, CAST to STRING/DECIMAL/
BIGINT/DOUBLE) that both engines run unchanged; the backends only differ in how inputs are
registered and results fetched (as Arrow tables).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.monitoring.params import INDICATORS, ScoringParams

__all__ = [
    "FEED_COLUMNS",
    "PEOPLE_COLUMNS",
    "USED_SCHEMA",
    "Backend",
    "DuckDBBackend",
    "ScoringResult",
    "SparkBackend",
    "make_backend",
    "score_month",
    "sql",
]

SQL_DIR = Path(__file__).parent / "sql"
DEC = pa.decimal128(14, 2)
#: Columns the engine reads from each feed partition (everything else is left on disk).
FEED_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "hospital": {"record_id": pa.string(), "resident_id": pa.string(), "oop": DEC},
    "disease": {"record_id": pa.string(), "resident_id": pa.string(), "major_disease": pa.bool_()},
    "university": {"record_id": pa.string(), "resident_id": pa.string(), "level": pa.string()},
    "disability": {"record_id": pa.string(), "resident_id": pa.string(), "grade": pa.int32()},
    "unemployment": {"record_id": pa.string(), "resident_id": pa.string()},
    "relapse": {"record_id": pa.string(), "resident_id": pa.string(), "subtype": pa.string()},
    "death": {"record_id": pa.string(), "resident_id": pa.string()},
}
#: Columns of the snapshot the engine reads.
PEOPLE_COLUMNS: dict[str, pa.DataType] = {
    "household_id": pa.int64(),
    "township_code": pa.string(),
    "resident_id": pa.string(),
    "identity": pa.string(),
}
USED_SCHEMA = pa.schema(
    [("household_id", pa.int64()), ("source", pa.string()), ("record_id", pa.string())]
)


def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


class Backend(Protocol):
    name: str

    def parquet(self, view: str, paths: list[Path], columns: dict[str, pa.DataType]) -> None: ...
    def arrow(self, view: str, table: pa.Table) -> None: ...
    def materialise(self, view: str, query: str) -> None: ...
    def fetch(self, query: str) -> pa.Table: ...
    def close(self) -> None: ...


def _present(paths: list[Path]) -> set[str]:
    return set(pq.read_schema(paths[0]).names) if paths else set()


class DuckDBBackend:
    """In-process DuckDB; ``memory_limit`` and ``threads`` keep it within the RSS budget."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str = "2GB") -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"SET threads = {threads or os.cpu_count() or 2}")
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute("SET preserve_insertion_order = false")

    def parquet(self, view: str, paths: list[Path], columns: dict[str, pa.DataType]) -> None:
        if not paths:
            self.arrow(view, pa.schema(list(columns.items())).empty_table())
            return
        have = _present(paths)
        cols = ", ".join(c if c in have else f"NULL AS {c}" for c in columns)
        files = ", ".join(f"'{p.as_posix()}'" for p in paths)
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {cols} FROM read_parquet([{files}])"
        )

    def arrow(self, view: str, table: pa.Table) -> None:
        self.con.register(f"_arrow_{view}", table)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT * FROM _arrow_{view}")
        self.con.unregister(f"_arrow_{view}")

    def materialise(self, view: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS {query}")

    def fetch(self, query: str) -> pa.Table:
        result = self.con.sql(query).to_arrow_table()
        return result

    def close(self) -> None:
        self.con.close()


class SparkBackend:
    """PySpark; ``master`` defaults to ``local[2]`` (set a cluster URL for national scale)."""

    name = "spark"

    def __init__(
        self, *, master: str | None = None, shuffle_partitions: int = 2, cache: bool = False
    ) -> None:
        from pyspark.sql import SparkSession

        master = master or os.environ.get("SAFETYNET_SPARK_MASTER", "local[2]")
        builder = SparkSession.builder
        java_options = "-Dlog4j.rootLogger=ERROR"
        if master.startswith("local"):
            # small local inputs: code generation and adaptive re-planning cost more than they
            # save, and a short-lived JVM is faster with the quick (C1) compiler only
            builder = builder.config("spark.sql.codegen.wholeStage", "false").config(
                "spark.sql.adaptive.enabled", "false"
            )
            java_options += " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
        self.spark = (
            builder.master(master)
            .appName("safetynet-monitoring")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.default.parallelism", str(shuffle_partitions))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.extraJavaOptions", java_options)
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self._cached: list[Any] = []
        #: Cache intermediate results (worth it on a cluster; slower on tiny local inputs).
        self.cache = cache

    def parquet(self, view: str, paths: list[Path], columns: dict[str, pa.DataType]) -> None:
        if not paths:
            self.arrow(view, pa.schema(list(columns.items())).empty_table())
            return
        from pyspark.sql import functions as F

        df = self.spark.read.parquet(*[p.as_posix() for p in paths])
        have = set(df.columns)
        df = df.select(*[F.col(c) if c in have else F.lit(None).alias(c) for c in columns])
        df.createOrReplaceTempView(view)

    def arrow(self, view: str, table: pa.Table) -> None:
        # Arrow goes straight to the JVM (no Python worker); small tables only
        df = self.spark.createDataFrame(table)
        df.createOrReplaceTempView(view)

    def materialise(self, view: str, query: str) -> None:
        df = self.spark.sql(query)
        if self.cache:
            df = df.cache()
            self._cached.append(df)
        df.createOrReplaceTempView(view)

    def fetch(self, query: str) -> pa.Table:
        return self.spark.sql(query).toArrow()

    def close(self) -> None:
        for df in self._cached:
            df.unpersist()
        self._cached.clear()


def make_backend(engine: str, **kwargs: Any) -> Backend:
    """``duckdb`` or ``spark``."""
    if engine == "duckdb":
        return DuckDBBackend(**kwargs)
    if engine == "spark":
        return SparkBackend(**kwargs)
    raise ValueError(f"未知引擎 / unknown engine {engine!r} (duckdb or spark)")


def param_tables(p: ScoringParams) -> dict[str, pa.Table]:
    """The parameter tables the SQL joins (weights, modifiers, identity factors, scalars)."""
    return {
        "p_weight": pa.table(
            {"indicator": list(p.weights), "weight": pa.array(list(p.weights.values()), pa.int64())}
        ),
        "p_modifier": pa.table(
            {
                "indicator": [m.indicator for m in p.modifiers],
                "mkey": pa.array([m.key for m in p.modifiers], pa.string()),
                "lo": pa.array([m.lo for m in p.modifiers], DEC),
                "hi": pa.array([m.hi for m in p.modifiers], DEC),
                "factor": pa.array([m.factor for m in p.modifiers], pa.int64()),
            }
        ),
        "p_identity": pa.table(
            {
                "category": list(p.identity),
                "factor": pa.array(list(p.identity.values()), pa.int64()),
            }
        ),
        "p_scalar": pa.table(
            {
                "bonus": pa.array([p.bonus], pa.int64()),
                **{lv: pa.array([p.thresholds[lv]], pa.int64()) for lv in p.thresholds},
            }
        ),
    }


@dataclass
class ScoringResult:
    """Scores of every household with a hit, the evidence of those reaching blue, and counts."""

    scores: pa.Table
    evidence: pa.Table
    counts: dict[str, dict[str, int]]  # indicator -> {unmatched, reused, records}
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> pa.Table:
        import pyarrow.compute as pc

        return self.scores.filter(pc.is_valid(self.scores["level"]))


def score_month(
    backend: Backend,
    *,
    people: Path,
    partitions: dict[str, list[Path]],
    used: Path | pa.Table,
    params: ScoringParams,
    progress: Callable[[str], None] | None = None,
) -> ScoringResult:
    """Score one month: register inputs, run feed → matched → scores, fetch the results."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[name] = round(now - t0, 4)
        t0 = now
        if progress:
            progress(name)

    backend.parquet("people", [people], PEOPLE_COLUMNS)
    for source in INDICATORS:
        backend.parquet(f"src_{source}", partitions.get(source, []), FEED_COLUMNS[source])
    if isinstance(used, Path):
        backend.parquet("used", [used], {f.name: f.type for f in USED_SCHEMA})
    else:
        backend.arrow("used", used.cast(USED_SCHEMA))
    for name, table in param_tables(params).items():
        backend.arrow(name, table)
    step("register")
    backend.materialise("feed", sql("feed"))
    backend.materialise("matched", sql("matched"))
    step("match")
    backend.materialise("scores", sql("scores"))
    scores = backend.fetch("SELECT * FROM scores")
    step("score")
    evidence = backend.fetch(sql("evidence"))
    counts_t = backend.fetch(sql("unmatched")).to_pylist()
    step("fetch")
    counts = {
        r["indicator"]: {k: int(r[k] or 0) for k in ("unmatched", "reused", "records")}
        for r in counts_t
    }
    for source in INDICATORS:
        counts.setdefault(source, {"unmatched": 0, "reused": 0, "records": 0})
    return ScoringResult(scores=scores, evidence=evidence, counts=counts, timings=timings)
