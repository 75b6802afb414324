"""Feeds → monitoring contract: a department file goes through the real ingest into the lake,
and the month's run raises the warning the file's record implies."""

from __future__ import annotations

from safetynet.config import get_settings
from safetynet.db import unit_of_work
from safetynet.feeds.service import ingest_file
from safetynet.ids import mask
from safetynet.monitoring import service
from safetynet.output import record_ref
from tests.unit.feeds.feeds_data import HOSPITAL_HEAD
from tests.unit.monitoring.conftest import EXAMPLE, OUTSIDER, A


def test_an_ingested_hospital_file_raises_its_warning(engine, registry, example_params, tmp_path):
    ids = registry(EXAMPLE)
    # A[1] (household 1, dibao_edge) as the hospital sends it: the 15-digit first-generation
    # number, out-of-pocket 12,000; plus a stay of someone outside the registry.
    assert A[1] == "620102197001010012"
    path = tmp_path / "住院.csv"
    path.write_bytes(
        "\n".join(
            [
                HOSPITAL_HEAD,
                "ZY100,620102700101001,张三,2024-01-05,2024-01-10,兰州大学第一医院,I63.9,"
                "20000,20000,6000,2000,12000",
                f"ZY101,{OUTSIDER},李四,2024-01-06,,天水市第一人民医院,I10,100,,,,100",
            ]
        ).encode("gb18030")
    )
    ingested = ingest_file(engine=engine, source="hospital", month="2024-01", path=path)
    assert (ingested.rows_accepted, ingested.rows_quarantined) == (2, 0)

    with unit_of_work(engine) as session:
        summary = service.run_month(
            session=session, month="2024-01", parameters=example_params, lake=get_settings().lake
        )
    # 30 points × 1.5 (out-of-pocket ≥ 10,000) = 45; identity dibao_edge × 1.5 = 67.5 → 68
    assert summary.by_level == {"blue": 0, "yellow": 1, "orange": 0, "red": 0}
    assert summary.unmatched["hospital"] == 1
    with unit_of_work(engine) as session:
        (found,) = service.explanations(session=session, household_id=ids[1], month="2024-01")
    assert found["score"] == 68 and found["level"] == "yellow"
    assert (
        found["lines"][0] == f"住院 hospital · {mask(A[1])} · 个人自付 12000.00 元: 30 × 1.5 = 45"
    )
    ref = record_ref("hospital", "ZY100", key=get_settings().record_key)
    assert [(h["record"], h["indicator"]) for h in found["hits"]] == [(ref, "hospital")]
