"""The synthetic household economic records: consistent with each household's category, apart
from the documented share of mismatched households; ``eligibility simulate`` over them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from typer.testing import CliRunner

from safetynet.cli.main import app
from safetynet.policy.eligibility import DECISIONS
from safetynet.policy.eligibility_io import read_economy
from safetynet.policy.eligibility_vector import decide_vec
from safetynet.standards.files import builtin_path, builtin_standards
from safetynet.synth.economy import MISMATCH_SHARE

ASSISTED = ("dibao", "dibao_edge", "rigid_expense", "tekun")


def test_records_match_their_category(tiny: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = tiny
    eco = manifest["economy"]
    households, members, n = read_economy(out)
    assert n == eco["households"] == manifest["registry"]["households"]
    assert len(members["household"]) == eco["members"] == manifest["registry"]["persons"]
    h = pq.read_table(out / "economy_households.parquet").to_pandas()
    m = pq.read_table(out / "economy_members.parquet").to_pandas()
    # members add up to their household
    for col in ("income", "deposits", "vehicles", "vehicle_value", "homes", "businesses"):
        assert (m.groupby("household")[col].sum().to_numpy() == h[col].to_numpy()).all(), col
    assert (m["income_gross"] - m["disregarded"] == m["income"]).all()
    decided = decide_vec(households, members, builtin_standards(), on=date(2024, 6, 1))
    h["decision"] = [DECISIONS[i] for i in decided["decision"]]
    h["tekun_count"] = decided["tekun_count"]
    for cat in ("dibao", "dibao_edge", "rigid_expense"):
        rows = h[h["category"] == cat]
        assert (rows[~rows["mismatch"]]["decision"] == cat).all(), cat
        assert (rows[rows["mismatch"]]["decision"] != cat).all(), cat
    tekun = h[h["category"] == "tekun"]
    assert (tekun[~tekun["mismatch"]]["tekun_count"] == 1).all()
    assert (tekun[tekun["mismatch"]]["tekun_count"] == 0).all()
    assisted = h[h["category"].isin(ASSISTED)]
    share = assisted["mismatch"].mean()
    assert abs(share - MISMATCH_SHARE) < 0.02 and eco["mismatched"] == int(h["mismatch"].sum())
    assert set(h.loc[h["mismatch"], "mismatch_kind"]) <= {
        "income", "deposits", "vehicle", "business", "supporter"
    }  # fmt: skip


def test_simulate_cli(tiny: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    out, _manifest = tiny
    up = tmp_path / "up.csv"  # every urban dibao standard of 兰州市 (6201) 10 % up
    rows = ["county_code,area,kind,amount,valid_from,reference"]
    for line in builtin_path().read_text("utf-8").splitlines()[1:]:
        county, area, kind, *_ = line.split(",")
        if county.startswith("6201") and area == "urban" and kind == "dibao":
            rows.append(f"{county},urban,dibao,847,2024-01-01,what-if +10 %")
    up.write_text("\n".join(rows) + "\n", "utf-8")
    args = ["eligibility", "simulate", "--economy", str(out), "--base", str(builtin_path()),
            "--standards", str(up), "--date", "2024-06-30"]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_pref = {r["prefecture"]: r for r in report["rows"]}
    lanzhou = by_pref["6201"]
    assert lanzhou["whatif"]["dibao"] >= lanzhou["base"]["dibao"]
    assert lanzhou["whatif"] != lanzhou["base"]
    for code, row in by_pref.items():
        assert sum(row["base"][d] for d in DECISIONS) == row["households"]
        if code != "6201":
            assert row["whatif"] == row["base"]
    assert report["total"]["households"] == sum(r["households"] for r in report["rows"])
    assert report["standards_version"] != report["whatif_standards_version"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0 and "合计 total" in text.stdout
