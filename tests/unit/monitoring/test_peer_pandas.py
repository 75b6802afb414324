"""The pandas peer of the monitoring benchmark gives exactly the engine's warnings."""

from __future__ import annotations

import pyarrow.parquet as pq
from benchmarks.peer_pandas_monitoring import comparable, score_month_pandas

from safetynet.monitoring.engine import make_backend, score_month
from safetynet.monitoring.params import default_monitoring_parameters, scoring_params
from tests.unit.monitoring.test_monitoring_engine import _province


def test_pandas_peer_equals_the_engine(tmp_path):
    people, parts, used = _province(tmp_path)
    used_path = tmp_path / "used.parquet"
    pq.write_table(used, used_path)
    params = scoring_params(default_monitoring_parameters(), "2024-03")
    backend = make_backend("duckdb")
    try:
        res = score_month(backend, people=people, partitions=parts, used=used_path, params=params)
    finally:
        backend.close()
    engine = comparable(res.scores, res.evidence)
    peer = comparable(
        *score_month_pandas(people=people, partitions=parts, used=used_path, params=params)
    )
    assert engine[0] and engine[1]
    assert peer == engine
