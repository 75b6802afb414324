"""``safetynet calc``: assistance calculators (medical, student grants, business support)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer

from safetynet.cli._common import (
    JsonOpt,
    check_year,
    console,
    err_console,
    fail,
    print_json,
    run_json_lines,
    screen,
)
from safetynet.parameters import ParameterError, ParameterSet, default_parameters
from safetynet.policy import CalcError

__all__ = ["app"]

app = typer.Typer(
    help="救助计算器 / assistance calculators: medical, student grants, business support.",
    no_args_is_help=True,
)

ParamsOpt = typer.Option(
    None, "--params", help="Parameter file or folder replacing the shipped values (what-if)."
)


def _params(extra: list[Path] | None) -> ParameterSet:
    from safetynet.parameters import load_parameters

    try:
        base = default_parameters()
        return base.merged(load_parameters(extra)) if extra else base
    except ParameterError as exc:
        fail(f"参数文件有误 / invalid parameters: {exc}")


def _json_lines(handle: Callable[[Any], dict[str, Any]]) -> None:
    """Run ``handle`` on every non-empty stdin line; a bad line prints {"error": ...}."""
    run_json_lines(handle, errors=(CalcError, ParameterError))


@app.command("medical")
def medical(params: list[Path] | None = ParamsOpt) -> None:
    """Read JSON lines {"group","oop","major_disease","year"[,"dibao_class"]} on stdin; write
    one JSON line each: premium_subsidy, assistance, second_round, self_pay (yuan),
    parameter_version, explanation — or {"error": "…"} for a bad line (exit 0)."""
    from safetynet.policy import medical as rules

    ps = _params(params)
    _json_lines(lambda obj: rules.annual(**rules.case_from_json(obj), params=ps).as_json())


@app.command("business")
def business(params: list[Path] | None = ParamsOpt) -> None:
    """Entrepreneurship subsidy and guaranteed loans: JSON lines in, one decision per line out
    (see docs/calculators.md for the fields)."""
    from safetynet.policy.employment import decide_from_json

    ps = _params(params)
    _json_lines(lambda obj: decide_from_json(obj, ps).as_json())


@app.command("grants")
def grants(
    file: Path = typer.Argument(
        ..., help="学生名单 XLSX/CSV: 学号, 姓名, 身份证号, 困难等级[, 家庭身份]"
    ),
    school_type: str = typer.Option(
        ...,
        "--school-type",
        help="undergraduate | veteran | secondary_provincial | secondary_local",
    ),
    funded: int | None = typer.Option(
        None,
        "--funded",
        help="资助名额 / funded count (quota); not needed for veteran (everyone is funded).",
    ),
    out: Path = typer.Option(..., "--out", help="Allocation workbook to write (.xlsx)."),
    year: int = typer.Option(
        date.today().year, "--year", help="School year (parameters of 1 Sep)."
    ),
    tiers: str | None = typer.Option(
        None, "--tiers", help="Local tiers for secondary_local, e.g. 1000,2000,3000."
    ),
    registry: bool = typer.Option(
        False, "--registry", help="Also look up each student's family status in the registry."
    ),
    params: list[Path] | None = ParamsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Allocate national student grants for one school and write the result workbook."""
    from safetynet.policy.education import allocate
    from safetynet.policy.education_io import TEMPLATE_HEADINGS, read_students, write_allocation

    check_year(year)
    ps = _params(params)
    _check_input(file, columns=len(TEMPLATE_HEADINGS))
    try:
        students = read_students(file)
        matches = 0
        if registry:
            students, matches = _registry_statuses(students, date(year, 9, 1))
        tier_list = [t.strip() for t in tiers.split(",") if t.strip()] if tiers else None
        result = allocate(
            students, school_type=school_type, funded=funded, year=year, tiers=tier_list, params=ps
        )
    except (CalcError, ParameterError) as exc:
        fail(str(exc))
    for notice in result.notices:  # stderr, so that --json output stays JSON only
        err_console.print(f"[yellow]注意 / Note:[/] {notice}", highlight=False, soft_wrap=True)
    write_allocation(result, out)
    downgraded = result.downgraded
    summary = {
        "out": out,
        "students": len(result.grants),
        "funded": result.funded,
        "budget": result.budget,
        "total": result.total,
        "downgraded": downgraded,
        "registry_matches": matches,
        "parameter_version": result.parameter_version,
        "notices": list(result.notices),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"[green]✓[/] {result.funded}/{len(result.grants)} 名学生获资助，总额 {result.total:,.2f} 元"
        f"（预算 {result.budget:,.2f} 元），下调 {downgraded} 人 → {screen(out)}"
    )


def _registry_statuses(students: list[Any], on: date) -> tuple[list[Any], int]:
    """The registry hook of ``calc grants --registry``: the students with their registry
    statuses added, and how many the registry knows."""
    from safetynet.cli._common import unit_of_work
    from safetynet.policy.education import with_statuses
    from safetynet.registry.queries import RegistryNotReady, registry_statuses

    ids = [s.resident_id for s in students]
    try:
        with unit_of_work() as session:
            found = registry_statuses(session=session, resident_ids=ids, on=on)
    except RegistryNotReady as exc:
        raise CalcError(str(exc)) from None
    return with_statuses(students, found), len(found)


@app.command("premiums")
def premiums(
    year: int = typer.Option(..., "--year", help="Insurance year, e.g. 2024."),
    on: str | None = typer.Option(
        None, "--on", help="Who is monitored on this day (default: 31 Dec of the year, or today)."
    ),
    params: list[Path] | None = ParamsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Premium subsidies for everyone monitored, by prefecture and group (with --params: what-if)."""
    from safetynet.cli._common import unit_of_work
    from safetynet.registry.queries import RegistryNotReady, UnknownMedicalGroup
    from safetynet.reports.premiums import premium_report

    check_year(year)
    try:
        day = date.fromisoformat(on) if on else min(date(year, 12, 31), date.today())
    except ValueError:
        fail(f"--on 应为日期 YYYY-MM-DD / not a date: {on}")
    base = _params(None)
    whatif = _params(params) if params else None
    try:
        with unit_of_work() as session:
            if as_json:
                report = premium_report(
                    session=session, year=year, on=day, params=base, whatif=whatif
                )
            else:
                from rich.progress import Progress

                with Progress(transient=True, console=console) as bar:
                    task = bar.add_task("读取登记库 / reading the registry", total=None)
                    report = premium_report(
                        session=session, year=year, on=day, params=base, whatif=whatif,
                        progress=lambda n: bar.advance(task, n),
                    )  # fmt: skip
    except (CalcError, ParameterError, RegistryNotReady, UnknownMedicalGroup) as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_json())
    else:
        _print_premiums(report.as_json())


def _print_premiums(report: dict[str, Any]) -> None:
    from rich.table import Table

    whatif = report["whatif_parameter_version"] is not None
    table = Table(
        title=f"{report['year']} 年医疗救助资助参保 / premium subsidies (on {report['on']})"
    )
    for head in ("市州 prefecture", "类别 group", "人数 people", "缺低保类别", "资助 subsidy"):
        table.add_column(head, justify="right" if "人" in head or "资助" in head else "left")
    if whatif:
        table.add_column("测算 what-if", justify="right")
    for r in report["rows"]:
        cells = [
            screen(f"{r['prefecture']} {r['prefecture_name'] or ''}".strip()),
            screen(r["group"]),
            f"{r['people']:,}",
            f"{r['unknown_class']:,}",
            f"{r['subsidy']:,.2f}",
        ]
        if whatif:
            cells.append(f"{r['whatif_subsidy']:,.2f}")
        table.add_row(*cells)
    t = report["total"]
    cells = [
        "合计 total",
        "",
        f"{t['people']:,}",
        f"{t['unknown_class']:,}",
        f"{t['subsidy']:,.2f}",
    ]
    if whatif:
        cells.append(f"{t['whatif_subsidy']:,.2f}")
    table.add_row(*cells, style="bold")
    console.print(table)
    console.print(f"参数版本 / parameter version {screen(report['parameter_version'])}")
    if t["unknown_class"]:
        console.print(
            f"[yellow]注意：{t['unknown_class']:,} 名低保对象缺少低保类别，未计入资助金额 / "
            "dibao members without dibao_class are not counted in the amounts[/]"
        )


def _check_input(path: Path, *, columns: int) -> None:
    """The input-file limits every importer applies (docs/security.md), before any
    spreadsheet library opens the file: a tiny workbook declaring a huge sheet is refused."""
    from safetynet.inputfiles import InputRefused, check_size, check_xlsx

    if not path.is_file():
        return  # the reader says that the file does not exist
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            check_xlsx(path, columns=columns)
        else:
            check_size(path)
    except InputRefused as exc:
        fail(str(exc))
