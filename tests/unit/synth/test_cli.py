from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.cli.synth import DEMO_PARAMS, demo_step
from safetynet.db import unit_of_work
from safetynet.regions import service as regions

runner = CliRunner()


def test_synth_command_json(tmp_path: Path) -> None:
    out = tmp_path / "p"
    result = runner.invoke(
        app, ["synth", "--scale", "0.001", "--months", "1", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["registry"]["monitored"] == 4288  # the seed's ten categories × 0.001
    assert data["registry"]["other_hardship"] == data["registry"]["by_category"]["other_hardship"]
    assert data["registry"]["other_hardship"] == 21  # 0.5 % of the seed's total, outside it
    assert (out / "registry.csv").exists() and (
        out / "feeds" / "2024-01" / "hospital.parquet"
    ).exists()


def test_synth_refuses_bad_month(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", "--scale", "0.001", "--start", "2024-13", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output


def test_demo_step_skips_an_existing_build(tmp_path: Path) -> None:
    manifest = {
        "params": DEMO_PARAMS,
        "moves": {"file": "registry-moves.csv"},
        "economy": {"households_file": "economy_households.parquet"},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert demo_step(tmp_path) == tmp_path
    assert not (tmp_path / "registry.csv").exists()


def test_townships_from_db(engine: Engine, use_db: str, tmp_path: Path) -> None:
    with unit_of_work(engine) as session:
        regions.upsert(
            session=session,
            rows=[("62", "甘肃省"), ("6201", "兰州市"), ("620102", "城关区"),
                  ("620102001", "酒泉路街道"), ("620102002", "张掖路街道")],
            source="import:test",
        )  # fmt: skip
    out = tmp_path / "p"
    result = runner.invoke(
        app,
        [
            "synth",
            "--scale",
            "0.001",
            "--months",
            "1",
            "--out",
            str(out),
            "--townships-from-db",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    with (out / "registry.csv").open(encoding="utf-8") as fh:
        reg = list(csv.DictReader(fh))
    lanzhou = {r["乡镇代码"] for r in reg if r["乡镇代码"].startswith("620102")}
    assert lanzhou and lanzhou <= {"620102001", "620102002"}
    assert all(not r["村社区代码"] for r in reg if r["乡镇代码"].startswith("620102"))
    other = {r["乡镇代码"][6] for r in reg if not r["乡镇代码"].startswith("620102")}
    assert other == {"9"}
