"""``safetynet eligibility``: dibao, near-dibao, rigid-expense and tekun decisions; what-ifs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from safetynet.cli._common import JsonOpt, console, fail, open_engine, print_json
from safetynet.cli.calc import ParamsOpt, _json_lines, _params

__all__ = ["app"]

app = typer.Typer(
    help="救助对象认定 / eligibility: dibao, near-dibao, rigid-expense households and tekun.",
    no_args_is_help=True,
)

StandardsOpt = typer.Option(
    None,
    "--standards",
    help="Standards file (CSV/XLSX) to use instead of the database's standards.",
)


def _standards(file: Path | None) -> Any:
    """The standards of ``file``, else those stored in the database."""
    from safetynet.policy import CalcError
    from safetynet.standards.files import ImportRefused, read_standard_set

    if file is not None:
        try:
            return read_standard_set(file)
        except ImportRefused as exc:
            fail(str(exc))
    from safetynet.db import unit_of_work
    from safetynet.standards.service import load_set

    try:
        with unit_of_work(open_engine()) as session:
            return load_set(session=session)
    except CalcError as exc:
        fail(str(exc))


@app.command("check")
def check(
    standards: Path | None = StandardsOpt,
    params: list[Path] | None = ParamsOpt,
) -> None:
    """Read JSON lines (an economic record plus county, urban, date) on stdin; write one
    decision per line: decision, tekun_members, income_per_person_month, standard, conditions,
    parameter_version — or {"error": "…"} for a bad line (exit 0). See docs/eligibility.md."""
    from safetynet.policy.eligibility import check_from_json

    ps = _params(params)
    sset = _standards(standards)
    _json_lines(lambda obj: check_from_json(obj, sset, ps).as_json())


@app.command("simulate")
def simulate(
    standards: Path = typer.Option(
        ..., "--standards", help="Changed standards (CSV/XLSX); they replace the same series."
    ),
    base: Path | None = typer.Option(
        None, "--base", help="Current standards file (default: the database's standards)."
    ),
    economy: Path | None = typer.Option(
        None,
        "--economy",
        help="Folder with economy_households/members.parquet (default: $SAFETYNET_HOME/synth).",
    ),
    on: str = typer.Option(..., "--date", help="Check date, YYYY-MM-DD."),
    params: list[Path] | None = ParamsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """What-if: households qualifying for each decision (and tekun persons) by prefecture,
    under the current standards and under --standards."""
    import time
    from datetime import date

    from safetynet.config import get_settings
    from safetynet.policy import CalcError
    from safetynet.policy.eligibility_io import read_economy
    from safetynet.policy.eligibility_vector import simulate as run
    from safetynet.standards.files import ImportRefused, read_standard_set

    try:
        day = date.fromisoformat(on)
    except ValueError:
        fail(f"--date 应为日期 YYYY-MM-DD / not a date: {on}")
    ps = _params(params)
    current = _standards(base)
    try:
        changed = current.merged(read_standard_set(standards))
    except ImportRefused as exc:
        fail(str(exc))
    folder = economy or get_settings().home / "synth"
    try:
        t0 = time.perf_counter()
        households, members, n = read_economy(folder)
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = run(households, members, current, changed, on=day, params=ps)
        rules_s = time.perf_counter() - t0
    except CalcError as exc:
        fail(str(exc))
    names = _prefecture_names([r["prefecture"] for r in rows])
    total: dict[str, Any] = {"households": n, "base": {}, "whatif": {}}
    for r in rows:
        r["prefecture_name"] = names.get(r["prefecture"])
        for side in ("base", "whatif"):
            for k, v in r[side].items():
                total[side][k] = total[side].get(k, 0) + v
    report = {
        "date": day,
        "economy": str(folder),
        "parameter_version": ps.version,
        "standards_version": current.version,
        "whatif_standards_version": changed.version,
        "rows": rows,
        "total": total,
        "seconds": {"read": round(read_s, 3), "rules": round(rules_s, 3)},
    }
    if as_json:
        print_json(report)
    else:
        _print_simulation(report)


def _prefecture_names(codes: list[str]) -> dict[str, str]:
    """Prefecture names from the division table when the database is set up (else none: the
    what-if needs no database with --base)."""
    from sqlalchemy.exc import SQLAlchemyError

    from safetynet.db import SchemaNotCurrent, make_engine, require_current_schema, unit_of_work
    from safetynet.regions.service import names

    engine = make_engine()
    try:
        require_current_schema(engine)
        with unit_of_work(engine) as session:
            return names(session=session, codes=codes)
    except (SchemaNotCurrent, SQLAlchemyError):
        return {}
    finally:
        engine.dispose()


def _print_simulation(report: dict[str, Any]) -> None:
    from rich.table import Table

    from safetynet.codes import ELIGIBILITY_DECISIONS

    table = Table(title=f"认定测算 / eligibility what-if on {report['date']}")
    table.add_column("市州 prefecture")
    table.add_column("户数 households", justify="right")
    for d, zh in ELIGIBILITY_DECISIONS.items():
        if d != "none":
            table.add_column(f"{zh} {d}\n现行 → 测算", justify="right")
    table.add_column("特困人员 tekun\n现行 → 测算", justify="right")

    def cells(row: dict[str, Any]) -> list[str]:
        out = []
        for d in [*ELIGIBILITY_DECISIONS, "tekun_persons"]:
            if d == "none":
                continue
            a, b = row["base"].get(d, 0), row["whatif"].get(d, 0)
            out.append(f"{a:,} → {b:,}" + (f" ({b - a:+,})" if b != a else ""))
        return out

    for r in report["rows"]:
        label = f"{r['prefecture']} {r['prefecture_name'] or ''}".strip()
        table.add_row(label, f"{r['households']:,}", *cells(r))
    t = report["total"]
    table.add_row("合计 total", f"{t['households']:,}", *cells(t), style="bold")
    console.print(table)
    s = report["seconds"]
    console.print(
        f"读取 read {s['read']:.2f} s · 规则 rules {s['rules']:.2f} s · 参数版本 parameter version "
        f"{report['parameter_version']} · 标准版本 standards {report['standards_version']} → "
        f"{report['whatif_standards_version']}",
        highlight=False,
    )
