"""``safetynet regions``: import official division tables, show the tree, count by level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from safetynet.cli._common import (
    JsonOpt,
    console,
    err_console,
    fail,
    print_json,
    screen,
    unit_of_work,
)

__all__ = ["app", "demo_step"]

app = typer.Typer(
    help="Administrative divisions (行政区划): import, show, stats.", no_args_is_help=True
)

_MAX_SHOWN = 30  # rejected rows printed as a table; --json gives all


def _print_report(title: str, report: Any) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("文件\nfile", no_wrap=True)
    table.add_column("编码\nencoding", no_wrap=True)
    for col in ("行数\nrows", "载入\nloaded", "重复\ndup.", "拒绝\nrejected"):
        table.add_column(col, justify="right")
    for f in report.files:
        table.add_row(
            screen(f.file),
            screen(f.encoding),
            str(f.rows),
            str(f.loaded),
            str(f.duplicates),
            str(f.rejected),
        )
    console.print(table)
    console.print(
        f"新增 new {report.new} · 更新 updated {report.updated} · 未变 unchanged "
        f"{report.unchanged} · 拒绝 rejected {report.rejected_count}",
        highlight=False,
    )
    if report.rejected:
        rej = Table(title="被拒绝的行 / rejected rows", title_justify="left")
        rej.add_column("文件\nfile", no_wrap=True)
        for col in ("行\nline", "代码\ncode", "名称\nname", "原因\nreason"):
            rej.add_column(col, overflow="fold")
        for r in report.rejected[:_MAX_SHOWN]:
            rej.add_row(
                screen(r.file), str(r.line), screen(r.code), screen(r.name), screen(r.reason)
            )
        console.print(rej)
        if len(report.rejected) > _MAX_SHOWN:
            rest = len(report.rejected) - _MAX_SHOWN
            console.print(f"… 另有 {rest} 行被拒绝，用 --json 查看全部 / {rest} more, see --json")


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(None, help="Division tables (CSV: code,name[,parents])."),
    builtin: bool = typer.Option(
        False, "--builtin", help="Load the shipped Gansu province, prefectures and counties."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Load official division tables; idempotent, files in any order, bad rows reported."""
    from safetynet.regions.service import load_builtin

    if not files and not builtin:
        fail("请给出区划表文件，或使用 --builtin / give division files (CSV) or --builtin")
    out: dict[str, Any] = {}
    with unit_of_work() as session:
        if builtin:
            out["builtin"] = load_builtin(session=session)
        if files:
            out["import"] = _import_files(session, files, quiet=as_json)
    if as_json:
        dumped = {k: v.model_dump() for k, v in out.items()}
        print_json(dumped["import"] if list(dumped) == ["import"] else dumped)
        return
    if "builtin" in out:
        _print_report("内置甘肃区划 / built-in Gansu divisions", out["builtin"])
    if "import" in out:
        _print_report("区划表导入 / division import", out["import"])


def _import_files(session: Any, files: list[Path], *, quiet: bool) -> Any:
    from safetynet.regions.service import DivisionFileError, import_divisions

    try:
        if quiet:
            return import_divisions(session=session, paths=files)
        with Progress(
            TextColumn("写入区划 / writing"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("write", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return import_divisions(session=session, paths=files, progress=progress)
    except DivisionFileError as exc:
        fail(f"{exc}（未导入任何数据 / nothing was imported）")


@app.command("show")
def show(
    code: str = typer.Argument(..., help="Division code, e.g. 620102 or 6201 (≡ 620100)."),
    as_json: bool = JsonOpt,
) -> None:
    """Print a division, its chain up to the province, and its children."""
    from safetynet.regions.service import RegionCodeError, UnknownRegion, chain, children

    with unit_of_work() as session:
        try:
            up = chain(session=session, code=code)
        except RegionCodeError:
            fail(f"“{code}” 不是区划代码：应为 2、4、6、9 或 12 位数字 / not a division code")
        except UnknownRegion as exc:
            fail(str(exc))
        region = up[-1]
        kids = children(session=session, code=region.code)
    if as_json:
        print_json(
            {
                **region.model_dump(),
                "chain": [r.model_dump() for r in up],
                "children": [r.model_dump() for r in kids],
            }
        )
        return
    path = " → ".join(f"{r.name}（{r.code}）" for r in reversed(up))
    console.print(
        f"[bold]{screen(region.name)}[/]  {screen(region.code)}  {screen(region.level_name)}",
        highlight=False,
    )
    console.print(f"上级 / chain: {screen(path)}", highlight=False)
    if not kids:
        console.print("（没有下级区划 / no children）")
        return
    table = Table(title=f"下级区划 / children: {len(kids)}", title_justify="left")
    for col in ("代码 code", "名称 name", "级别 level"):
        table.add_column(col)
    for k in kids:
        table.add_row(screen(k.code), screen(k.name), screen(k.level_name))
    console.print(table)


@app.command("stats")
def stats(as_json: bool = JsonOpt) -> None:
    """Count the stored divisions by level."""
    from safetynet.regions.service import counts_by_level

    with unit_of_work() as session:
        counts = counts_by_level(session=session)
    rows = [
        {"level": int(level), "level_name": level.zh, "count": n} for level, n in counts.items()
    ]
    if as_json:
        print_json({"levels": rows, "total": sum(counts.values())})
        return
    table = Table(title="区划统计 / divisions by level", title_justify="left")
    table.add_column("级别 level")
    table.add_column("数量 count", justify="right")
    for r in rows:
        table.add_row(f"{r['level_name']}（{r['level']} 位）", str(r["count"]))
    table.add_row("合计 total", str(sum(counts.values())))
    console.print(table)


def demo_step() -> None:
    """``make demo``: load the shipped Gansu divisions into the configured database."""
    from safetynet.regions.service import counts_by_level, load_builtin

    with unit_of_work() as session:
        report = load_builtin(session=session)
        counts = {int(k): v for k, v in counts_by_level(session=session).items()}
    console.print(
        f"[green]✓[/] 区划已载入 / divisions loaded: {counts[2]} 省, {counts[4]} 市州, "
        f"{counts[6]} 县市区 (新增 new {report.new})",
        highlight=False,
    )
