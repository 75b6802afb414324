"""``safetynet monitor``: run the monthly monitoring, explain a warning, simulate parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safetynet.cli._common import (
    DB_INT_MAX,
    JsonOpt,
    check_limit,
    check_month,
    console,
    err_console,
    fail,
    open_engine,
    print_json,
    screen,
    unit_of_work,
)

__all__ = ["app", "demo_step"]

app = typer.Typer(help="月度动态监测预警 / monthly monitoring and warnings.", no_args_is_help=True)

STEPS = ["snapshot", "register", "match", "score", "fetch", "write"]
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}


def _params(file: Path | None = None) -> Any:
    from safetynet.monitoring.params import load_monitoring_parameters
    from safetynet.parameters import ParameterError

    try:
        return load_monitoring_parameters(file)
    except ParameterError as exc:
        fail(f"参数文件有误 / invalid parameters: {exc}")


def _run(engine: Any, month: str, backend: str, quiet: bool) -> Any:
    """One month in its own transaction (committed when the month is written)."""
    from safetynet.config import get_settings
    from safetynet.monitoring.service import month_lock, run_month

    params = _params()

    def waiting() -> None:
        err_console.print(
            f"等待 {month} 的另一次监测运行结束 / waiting for another run of {month} to finish",
            highlight=False,
        )

    def locked_run(progress: Any = None) -> Any:
        with (
            month_lock(get_settings().lake, month, on_wait=waiting),  # the commit included
            unit_of_work(engine) as session,
        ):
            return run_month(
                session=session,
                month=month,
                parameters=params,
                lake=get_settings().lake,
                backend=backend,
                progress=progress,
            )

    if quiet:
        return locked_run()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"监测 / monitoring {month}", total=len(STEPS))

        def tick(step: str) -> None:
            bar.update(task, advance=1, description=f"监测 / monitoring {month}: {step}")

        return locked_run(tick)


@app.command("run")
def run(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    backend: str = typer.Option("duckdb", "--engine", help="duckdb 或 spark"),
    json: bool = JsonOpt,
) -> None:
    """评分并发出预警 / score the month and write warnings (one transaction).

    Runs of one month are serialised: a second run started meanwhile waits, then is a repeat."""
    check_month(month)
    if backend not in ("duckdb", "spark"):
        fail(f"引擎只能是 duckdb 或 spark / engine must be duckdb or spark: {backend}")
    from safetynet.monitoring.service import NoFeedData

    engine = open_engine()
    try:
        s = _run(engine, month, backend, quiet=json)
    except NoFeedData as exc:
        fail(str(exc))
    if json:
        print_json(s.as_json())
        return
    from safetynet.monitoring.params import INDICATOR_LABELS
    from safetynet.regions.service import names

    word = "（重复运行，预警未变 / repeat: warnings unchanged）" if s.repeat else ""
    console.print(f"[green]✓[/] {month} 监测完成 / run {s.run_id} done {word}")
    if s.missing_sources:
        absent = "、".join(f"{INDICATOR_LABELS.get(x, x)} {x}" for x in s.missing_sources)
        console.print(
            f"[yellow]本月缺少以下部门数据，到数后请重新运行 / no data yet this month for:[/] "
            f"{absent}",
            highlight=False,
        )
    with unit_of_work(engine) as session:
        label = names(session=session, codes=s.by_prefecture)
    table = Table("市州 prefecture", *[f"{LEVEL_ZH[lv]} {lv}" for lv in LEVEL_ZH], "合计 total")
    for code, counts in s.by_prefecture.items():
        name = screen(f"{code} {label[code]}" if code in label else code)
        table.add_row(name, *[str(counts[lv]) for lv in LEVEL_ZH], str(sum(counts.values())))
    table.add_row(
        "全部 all", *[str(s.by_level[lv]) for lv in LEVEL_ZH], str(sum(s.by_level.values()))
    )
    console.print(table)
    console.print(
        f"新预警 new {s.warnings_new} · 更新 updated {s.warnings_updated} · "
        f"库外命中 unmatched {sum(s.unmatched.values())} · {s.timings['total']:.1f} s"
    )


@app.command("explain")
def explain(
    household: int = typer.Argument(..., help="户编号 household id"),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    json: bool = JsonOpt,
) -> None:
    """说明某户某月得分 / the hits, factor and bonus that add up to a household's score."""
    from safetynet.monitoring.service import explanations

    check_month(month, in_range=False)
    found = []
    if 0 < household <= DB_INT_MAX:
        with unit_of_work() as session:
            found = explanations(session=session, household_id=household, month=month)
    if not found:
        fail(
            f"户 {household} 在 {month} 没有预警 / household {household} has no warning in {month}"
        )
    if json:
        print_json(found)
        return
    for e in found:
        console.print(
            f"[bold]预警 warning {e['warning_id']}[/] ({screen(e['status'])}, "
            f"{LEVEL_ZH[e['warning_level']]} {e['warning_level']}) · {month}"
        )
        for line in e["lines"]:
            console.print("  " + screen(line), highlight=False)


@app.command("simulate")
def simulate(
    params: Path = typer.Option(
        ...,
        "--params",
        exists=True,
        dir_okay=False,
        help="拟用参数文件 / proposed monitoring parameters (YAML)",
    ),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    limit: int = typer.Option(20, "--limit", help="列出的变化户数 / changed households listed"),
    json: bool = JsonOpt,
) -> None:
    """参数试算（不写预警） / what-if: level counts and households that would change."""
    from safetynet.config import get_settings
    from safetynet.monitoring.service import NoFeedData
    from safetynet.monitoring.service import simulate as sim

    check_month(month)
    check_limit(limit)
    try:
        with unit_of_work() as session:
            simulation = sim(
                session=session,
                month=month,
                current=_params(),
                proposed=_params(params),
                lake=get_settings().lake,
            )
    except NoFeedData as exc:
        fail(str(exc))
    out = simulation.model_dump()
    if json:
        print_json(out)
        return
    table = Table("", *[f"{LEVEL_ZH[lv]} {lv}" for lv in LEVEL_ZH])
    for tag in ("current", "proposed"):
        table.add_row(tag, *[str(out["counts"][tag][lv]) for lv in LEVEL_ZH])
    console.print(table)
    console.print(f"等级变化户数 / households changing level: {len(out['changed'])}")
    for c in out["changed"][:limit]:
        console.print(
            f"  户 {c['household_id']}: {c['from']} ({c['score_from']}) → "
            f"{c['to']} ({c['score_to']})"
        )


@app.command("runs")
def runs(limit: int = typer.Option(20, "--limit"), json: bool = JsonOpt) -> None:
    """历次运行 / recent monitoring runs."""
    from safetynet.monitoring.service import list_runs

    check_limit(limit)
    with unit_of_work() as session:
        found = list_runs(session=session, limit=limit)
    if json:
        print_json([r.model_dump() for r in found])
        return
    table = Table(
        "id",
        "月份 month",
        "引擎 engine",
        "参数 params",
        "预警 warnings",
        "新 new",
        "重复 repeat",
        "秒 s",
    )
    for r in found:
        table.add_row(
            str(r.id),
            screen(r.month),
            screen(r.backend),
            screen(r.parameter_version),
            str(sum((r.by_level or {}).values())),
            str(r.warnings_new),
            "是" if r.repeat else "",
            f"{r.seconds or 0:.1f}",
        )
    console.print(table)


def demo_step() -> None:
    """Run the 12 demo months 2024-01..2024-12 (for ``safetynet demo``)."""
    engine = open_engine()
    for m in range(1, 13):
        s = _run(engine, f"2024-{m:02d}", "duckdb", quiet=True)
        console.print(
            f"[green]✓[/] 监测 {s.month}: {sum(s.by_level.values())} 条预警 warnings "
            f"(新 new {s.warnings_new}, 更新 updated {s.warnings_updated})"
        )
