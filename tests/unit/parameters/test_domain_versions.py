"""Each domain's parameters are versioned on their own: editing one YAML leaves the others be."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from safetynet.monitoring.params import scoring_params
from safetynet.parameters import DEFAULT_DIR, DOMAINS, load_parameters
from safetynet.policy import medical

#: a dated number, block or flow style: ``2024-01-01: 380`` or ``{2024-01-01: 90}``
_VALUE = re.compile(r"(\d{4}-\d{2}-\d{2}: )(\d+(?:\.\d+)?)(?=\s*[},\n])")


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "parameters"
    shutil.copytree(DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def test_every_shipped_file_is_a_domain():
    assert sorted(p.stem for p in DEFAULT_DIR.glob("*.yaml")) == sorted(DOMAINS)


@pytest.mark.parametrize("domain", DOMAINS)
def test_editing_one_domain_changes_only_its_version(tmp_path, domain):
    before = load_parameters(DEFAULT_DIR)
    folder = _copy(tmp_path)
    path = folder / f"{domain}.yaml"
    text = path.read_text(encoding="utf-8")
    edited = _VALUE.sub(lambda m: f"{m[1]}{m[2]}1", text, count=1)  # 380 → 3801, 1.5 → 1.51
    assert edited != text, f"{path.name}: no dated number to edit"
    path.write_text(edited, encoding="utf-8")
    after = load_parameters(folder)
    assert after.version != before.version
    for other in DOMAINS:
        changed = after.version_of(other) != before.version_of(other)
        assert changed == (other == domain), other


def test_results_carry_their_domain_version(tmp_path):
    """Monitoring weights edited: medical results keep their version, scoring gets a new one."""
    folder = _copy(tmp_path)
    path = folder / "monitoring.yaml"
    text = path.read_text(encoding="utf-8")
    edited = _VALUE.sub(lambda m: f"{m[1]}{m[2]}1", text, count=1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    base, changed = load_parameters(DEFAULT_DIR), load_parameters(folder)
    day = date(2024, 6, 1)
    old, new = (
        medical.annual(group="dibao", oop="10000", year=2024, params=ps) for ps in (base, changed)
    )
    assert old.parameter_version == new.parameter_version == base.version_of("medical")
    assert medical.rules_for(day, base).version == medical.rules_for(day, changed).version
    assert scoring_params(base, "2024-06").version != scoring_params(changed, "2024-06").version
    # the monitoring version covers the primary-category priority it reads from the registry
    assert scoring_params(base, "2024-06").version == base.version_of(
        "monitoring", "registry.primary_priority"
    )
