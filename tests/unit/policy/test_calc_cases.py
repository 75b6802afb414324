"""Run the YAML cases in ``cases/*.yaml`` (input, period, expected output) against the rules."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from safetynet.parameters import DEFAULT_DIR, ParameterError, ParameterSet, load_parameters
from safetynet.policy import medical
from safetynet.policy._money import CalcError
from safetynet.policy.economy import EconomicRecord
from safetynet.policy.education import Student, allocate, parse_statuses
from safetynet.policy.eligibility import DECISIONS, check_from_json
from safetynet.policy.eligibility_vector import decide_vec, to_columns
from safetynet.policy.employment import decide_from_json
from safetynet.policy.standards import StandardRow, StandardSet

CASES = Path(__file__).parent / "cases"


def _load() -> list[Any]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            case = {
                "rule": doc["rule"],
                "parameters": doc.get("parameters"),
                "standards": doc.get("standards"),
                **case,
            }
            out.append(pytest.param(case, id=f"{file.stem}::{case['name']}"))
    return out


_MADE: dict[str, ParameterSet] = {}


def _params(overrides: dict[str, dict[Any, Any]] | None, tmp: Path) -> ParameterSet | None:
    """A copy of the shipped parameter folder with extra dated values added (made once)."""
    if not overrides:
        return None
    key = repr(sorted(overrides.items()))
    if key not in _MADE:
        _MADE[key] = _make(overrides, tmp)
    return _MADE[key]


def _make(overrides: dict[str, dict[Any, Any]], tmp: Path) -> ParameterSet:
    folder = tmp / "parameters"
    shutil.copytree(DEFAULT_DIR, folder)
    for path, values in overrides.items():
        stem, *keys = path.split(".")
        file = folder / f"{stem}.yaml"
        tree = yaml.safe_load(file.read_text(encoding="utf-8"))
        node = tree
        for key in keys:
            node = node[key]
        node["values"].update(values)
        file.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    return load_parameters(folder)


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _same(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, date):
        return str(actual) == expected.isoformat()
    if expected is None or isinstance(expected, bool | str):
        return bool(actual == expected)
    if isinstance(expected, int | float):
        return actual is not None and Decimal(str(actual)) == Decimal(str(expected))
    return bool(actual == expected)


def _check(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for key, want in expected.items():
        assert _same(actual[key], want), f"{where}.{key}: got {actual[key]!r}, expected {want!r}"


def _run(case: dict[str, Any], ps: ParameterSet | None) -> None:
    rule, data, period = case["rule"], case["input"], case["period"]
    if rule == "medical.annual":
        result = medical.annual(**data, year=period, params=ps)
        _check(result.as_json(), case["expected"], "result")
        text = "\n".join(result.explanation)
        for part in case.get("explanation_contains", []):
            assert part in text, f"{part!r} not in explanation:\n{text}"
    elif rule == "medical.claims":
        ytd = None
        results = []
        for claim in data["claims"]:
            res = medical.settle_claim(
                group=data["group"],
                oop=claim["oop"],
                on=claim["on"],
                major_disease=claim.get("major_disease", data.get("major_disease", False)),
                ytd=ytd,
                params=ps,
            )
            results.append(res)
            ytd = res.ytd
        exp = case["expected"]
        for i, (res, want) in enumerate(zip(results, exp["claims"], strict=True)):
            _check({f: getattr(res, f) for f in want}, want, f"claim {i + 1}")
        assert ytd is not None
        _check(ytd.as_json(), exp["ytd"], "ytd")
        if exp.get("same_as_annual"):
            year_result = medical.annual(group=data["group"], oop=ytd.oop, year=period, params=ps)
            assert (year_result.assistance, year_result.second_round, year_result.self_pay) == (
                ytd.assistance,
                ytd.second_round,
                ytd.self_pay,
            )
    elif rule == "education.allocate":
        students = [
            Student(no, name, "", level, parse_statuses(st))
            for no, name, level, st in data["students"]
        ]
        alloc = allocate(
            students,
            school_type=data["school_type"],
            funded=data.get("funded"),
            year=period,
            tiers=data.get("tiers"),
            params=ps,
        )
        exp = case["expected"]
        got = {g.student.student_no: g.amount for g in alloc.grants}
        _check(got, exp["amounts"], "amount")
        sums = {"total": alloc.total, "budget": alloc.budget, "funded": alloc.funded}
        _check(sums, {k: exp[k] for k in sums if k in exp}, "school")
        assert alloc.total <= alloc.budget
        if "notices_contain" in exp:
            notices = "\n".join(alloc.notices)
            assert bool(notices) == bool(exp["notices_contain"]), notices
            for part in exp["notices_contain"]:
                assert part in notices, f"{part!r} not in notices: {notices}"
        notes = {g.student.student_no: "；".join(g.explanation) for g in alloc.grants}
        for no, part in exp.get("explanation_contains", {}).items():
            assert part in notes[no], f"{part!r} not in {no}: {notes[no]}"
    elif rule == "employment.decide":
        decision = decide_from_json(data, ps)
        _check(decision.as_json(), case["expected"], "decision")
        text = "\n".join(decision.reasons)
        for part in case.get("reasons_contain", []):
            assert part in text, f"{part!r} not in reasons:\n{text}"
    elif rule == "eligibility.check":
        standards = StandardSet(
            StandardRow(str(c), a == "urban", k, Decimal(str(v)), d, "test")
            for c, a, k, v, d in case["standards"]
        )
        decision = check_from_json(data, standards, ps)
        out = decision.as_json()
        # the vectorised rules decide every case the same way (thresholds included)
        record = EconomicRecord.from_json(data)
        hh, mm = to_columns([(record, decision.standard.county, decision.standard.urban)])
        vec = decide_vec(hh, mm, standards, on=decision.standard.on, params=ps)
        assert DECISIONS[vec["decision"][0]] == decision.decision
        members = [m.resident_id for m, t in zip(record.members, vec["tekun"], strict=True) if t]
        assert members == list(decision.tekun_members)
        _check(out, case.get("expected", {}), "decision")
        _check(out["standard"], case.get("standard", {}), "standard")
        found = {
            f"{c['rule']}.{c['condition']}" + (f"@{c['member']}" if c["member"] else ""): c
            for c in out["conditions"]
        }
        for key, want in case.get("conditions", {}).items():
            assert key in found, f"no condition {key}"
            _check(found[key], want, key)
    else:
        raise AssertionError(f"unknown rule {rule}")


@pytest.mark.parametrize("case", _load())
def test_case(case: dict[str, Any], tmp_path: Path) -> None:
    ps = _params(case.get("parameters"), tmp_path)
    if "error" in case:
        with pytest.raises((CalcError, ParameterError)) as info:
            _run(case, ps)
        assert case["error"] in str(info.value)
    else:
        _run(case, ps)


def test_2025_change_leaves_2024_identical(tmp_path: Path) -> None:
    """Every group's 2024 result is the same with and without a 2025 parameter change."""
    ps = _params(
        {
            "medical.assistance.ratio.dibao": {date(2025, 1, 1): 0.8},
            "medical.second_round.threshold": {date(2025, 1, 1): 7000},
        },
        tmp_path,
    )
    assert ps is not None
    for group in medical.GROUPS:
        for oop in (0, 4999.99, 25000, 123456.78):
            kwargs = {"group": group, "oop": str(oop), "year": 2024, "dibao_class": "rural_1"}
            old, new = medical.annual(**kwargs), medical.annual(**kwargs, params=ps)
            assert (old.assistance, old.second_round, old.self_pay, old.premium_subsidy) == (
                new.assistance,
                new.second_round,
                new.self_pay,
                new.premium_subsidy,
            )
            assert old.parameter_version != new.parameter_version
    changed = medical.annual(group="dibao", oop=25000, year=2025, params=ps)
    assert changed.assistance == Decimal("20000.00")
