"""Masks that cannot be undone: a masked view shows an age band, never the birth date, and no
record ID that embeds a resident ID; the one reveal is explicit, needs a reason, and is logged."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from safetynet.cli.main import app
from tests.unit.cli.poison import HEAD_ID, RECORD_ID, SECRETS, Province

runner = CliRunner()


def _json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert not any(s in result.stdout for s in SECRETS), result.stdout
    return json.loads(result.stdout)


def test_masked_views_hide_what_the_mask_hides(poisoned: Province) -> None:
    household = _json("registry", "show", str(poisoned.household_id))
    assert isinstance(household, dict)
    head = next(p for p in household["members"] if p["resident_id"].endswith(HEAD_ID[-4:]))
    assert head["birth_date"] is None and head["age_band"] == "70–79 岁"
    assert household["head_resident_id"] == HEAD_ID[:6] + "********" + HEAD_ID[14:]
    explained = _json("monitor", "explain", str(poisoned.household_id), "--month", "2024-01")
    assert isinstance(explained, list)
    (hit,) = explained[0]["hits"]
    assert "record_id" not in hit and hit["record"].startswith("R-")
    rejects = _json("feeds", "rejects", "-s", "hospital", "-m", "2024-01")
    assert isinstance(rejects, list)
    assert all("record_id" not in r and r["record"].startswith("R-") for r in rejects)


def test_reveal_needs_a_reason_and_is_logged(poisoned: Province) -> None:
    refused = runner.invoke(app, ["registry", "show", HEAD_ID, "--unmasked"])
    assert refused.exit_code == 2 and "--reason" in refused.output
    assert _json("registry", "reveals") == []
    shown = runner.invoke(
        app,
        ["registry", "show", HEAD_ID, "--unmasked", "--reason", "入户核查 home visit",
         "--actor", "officer-7", "--json"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    person = json.loads(shown.stdout)
    assert person["resident_id"] == HEAD_ID and person["birth_date"] == "1951-01-20"
    (entry,) = _json("registry", "reveals")  # type: ignore[misc]
    assert (entry["actor"], entry["reason"], entry["command"]) == (
        "officer-7",
        "入户核查 home visit",
        "registry show",
    )
    assert entry["subject"] == f"person {person['id']}"
    assert RECORD_ID not in shown.stdout
