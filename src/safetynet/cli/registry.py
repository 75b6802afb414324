"""``safetynet registry``: import the registry of monitored people, inspect it, fix rejects."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from safetynet.cli._common import (
    JsonOpt,
    check_limit,
    console,
    fail,
    open_engine,
    print_json,
    screen,
    unit_of_work,
)
from safetynet.config import get_settings
from safetynet.output import shown_reject

__all__ = ["app", "demo_step", "print_stats"]

app = typer.Typer(
    help="低收入人口登记库 / registry of monitored people: import, template, rejects, show.",
    no_args_is_help=True,
)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="登记表文件 / registry file (.csv, .xlsx, .parquet)."),
    actor: str = typer.Option("", help="导入人 / who imports (default: the login name)."),
    force: bool = typer.Option(False, help="Re-validate even if this exact file was imported."),
    json_: bool = JsonOpt,
) -> None:
    """Validate and import a registry file; bad rows are quarantined (see `registry rejects`)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from safetynet.registry.importer import ImportRefused, import_file

    engine = open_engine()
    try:
        if json_:
            summary = import_file(engine=engine, path=file, actor=actor or None, force=force)
        else:
            with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                          TimeElapsedColumn(), console=console, transient=True) as bar:  # fmt: skip
                task = bar.add_task("登记库导入 / registry import")
                summary = import_file(
                    engine=engine, path=file, actor=actor or None, force=force,
                    progress=lambda msg: bar.update(task, description=screen(msg)),
                )  # fmt: skip
    except ImportRefused as exc:
        fail(f"文件未导入，登记库未改变 / file refused, nothing changed: {exc}")
    if json_:
        print_json(summary.model_dump())
        return
    s = summary
    if s.repeat:
        console.print(
            f"[yellow]与导入 #{s.repeat_of} 相同的文件，登记库未改变 / same file as import "
            f"#{s.repeat_of}: registry unchanged[/] (logged as import #{s.import_id})"
        )
    console.print(
        f"导入 #{s.import_id}: 读取 {s.rows_read:,} 行 = 接受 {s.accepted:,} + 拒绝 {s.rejected:,} "
        f"/ rows read {s.rows_read:,} = accepted {s.accepted:,} + rejected {s.rejected:,}"
    )
    if not s.repeat:
        console.print(
            f"户 households +{s.households_added:,} ~{s.households_updated:,} · "
            f"人 persons +{s.persons_added:,} ~{s.persons_updated:,} · 迁移 moves {s.moves:,} · "
            f"类别 memberships +{s.memberships_added:,} ~{s.memberships_updated:,} · "
            f"{s.seconds:.1f} s"
        )
    if s.rejected:
        console.print(
            f"被拒行可导出修改 / export the rejected rows: safetynet registry rejects "
            f"--import {s.import_id} --xlsx rejects.xlsx"
        )


@app.command("template")
def template(
    out: Path = typer.Option(..., "--out", help="模板文件 / template file (.csv or .xlsx)."),
) -> None:
    """Write the empty registry template with the Chinese column headings."""
    from safetynet.registry.importer import ImportRefused, write_template

    try:
        write_template(out)
    except ImportRefused as exc:
        fail(str(exc))
    console.print(f"[green]✓[/] 模板已写入 / template written: {screen(out)}")


@app.command("rejects")
def rejects(
    import_id: int = typer.Option(..., "--import", help="导入编号 / import ID."),
    xlsx: Path | None = typer.Option(
        None,
        "--xlsx",
        help="导出为 Excel（含完整值，供更正）/ write to XLSX with the FULL values (unmasked, "
        "for correction).",
    ),
    json_: bool = JsonOpt,
) -> None:
    """List (or export to XLSX) the quarantined rows of one import.

    On screen and in --json resident IDs are masked; the --xlsx export is the one deliberate
    exception and keeps the full values (docs/security.md).
    """
    from safetynet.registry import service

    with unit_of_work() as session:
        if not service.import_exists(session=session, import_id=import_id):
            fail(f"没有编号为 {import_id} 的导入 / there is no import #{import_id}")
        if xlsx is not None:
            n = service.export_rejects(session=session, import_id=import_id, out=xlsx)
        else:
            key = get_settings().record_key
            rows = [
                shown_reject(r.model_dump(), key=key)
                for r in service.list_rejects(session=session, import_id=import_id)
            ]
    if xlsx is not None:
        if json_:
            print_json({"import_id": import_id, "rejected": n, "file": str(xlsx)})
        else:
            console.print(f"[green]✓[/] {n:,} 行已导出 / rows written to {screen(xlsx)}")
        return
    if json_:
        print_json(rows)
        return
    table = Table("行号 row", "字段 field", "值 value", "原因 reason")
    for r in rows[:200]:
        table.add_row(str(r["row_number"]), screen(r["field"]), screen(r["value"]),
                      screen(f"{r['reason_zh']} / {r['reason_en']}"))  # fmt: skip
    console.print(table)
    console.print("身份证号已脱敏；完整值见 --xlsx 导出 / resident IDs masked here; the --xlsx "
                  "export has the full values for correction")  # fmt: skip
    if len(rows) > 200:
        console.print(f"… {len(rows) - 200:,} more; use --xlsx")


@app.command("imports")
def imports(
    limit: int = typer.Option(50, help="最多显示 / how many."), json_: bool = JsonOpt
) -> None:
    """The import log, newest first (rows read = accepted + rejected)."""
    from safetynet.registry import service

    check_limit(limit)
    with unit_of_work() as session:
        entries = service.list_imports(session=session, limit=limit)
    if json_:
        print_json([e.model_dump() for e in entries])
        return
    table = Table("#", "文件 file", "读取 read", "接受 accepted", "拒绝 rejected", "重复 repeat",
                  "导入人 actor", "时间 started")  # fmt: skip
    for e in entries:
        table.add_row(str(e.id), screen(e.file_name), f"{e.rows_read:,}", f"{e.accepted:,}",
                      f"{e.rejected:,}", "是" if e.repeat else "", screen(e.actor),
                      e.started_at.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
    console.print(table)


@app.command("show")
def show(
    key: str = typer.Argument(..., help="身份证号或户编号 / resident ID, or household number."),
    unmasked: bool = typer.Option(
        False,
        "--unmasked",
        help="显示完整身份证号和出生日期（须 --reason，记入查看日志）/ full IDs and birth dates "
        "(needs --reason; written to the reveal log).",
    ),
    reason: str = typer.Option("", "--reason", help="查看完整信息的理由 / why (with --unmasked)."),
    actor: str = typer.Option("", "--actor", help="查看人 / who (default: the login name)."),
    json_: bool = JsonOpt,
) -> None:
    """Show a person (by resident ID) or a household (by its number).

    Resident IDs are masked and birth dates shown as ten-year age bands; --unmasked --reason
    shows them in full and records who, when and why in the reveal log (`registry reveals`)."""
    from safetynet.feeds.service import default_actor
    from safetynet.registry import service

    reveal = None
    if unmasked:
        if not reason.strip():
            fail("--unmasked 须说明理由 --reason / --unmasked needs --reason", code=2)
        reveal = service.Reveal(actor=actor.strip() or default_actor(), reason=reason.strip())
    found: service.HouseholdOut | service.PersonOut | None
    with unit_of_work() as session:  # the reveal log row commits with the read, or neither
        if key.isdigit() and len(key) < 15:
            found = service.get_household(
                session=session, household_id=int(key), unmasked=unmasked, reveal=reveal
            )
        else:
            found = service.get_person(
                session=session, resident_id=key, unmasked=unmasked, reveal=reveal
            )
    if found is None:
        fail(f"登记库中没有 {service.mask_id(key)} / not in the registry")
    data = found.model_dump()
    if json_:
        print_json(data)
        return
    people = data.get("members", [data])
    if "members" in data:
        console.print(
            f"户 #{data['id']} 户主 {screen(data['head_resident_id'])} · 乡镇 "
            f"{screen(data['township_code'])} · {'城镇' if data['urban'] else '农村'} · "
            f"{screen(data['address'])}"
        )
    born = "出生 born" if unmasked else "年龄段 age"
    table = Table("身份证号 ID", "姓名 name", "性别", born, "关系", "户", "类别 categories")
    for p in people:
        cats = "; ".join(
            screen(
                f"{m['category_zh']} {m['valid_from']}–{m['valid_to'] or ''} [{m['medical_group']}]"
            )
            for m in p["memberships"]
        )
        table.add_row(screen(p["resident_id"]), screen(p["name"]), screen(p["sex"]),
                      screen(p["birth_date"] or p["age_band"]), screen(p["relation"]),
                      str(p["household_id"]), cats)  # fmt: skip
    console.print(table)


@app.command("reveals")
def reveals(
    limit: int = typer.Option(50, "--limit", help="最多显示 / how many."), json_: bool = JsonOpt
) -> None:
    """The reveal log, newest first: who saw unmasked data, when, why and what."""
    from safetynet.registry import service

    check_limit(limit)
    with unit_of_work() as session:
        entries = service.list_reveals(session=session, limit=limit)
    if json_:
        print_json([e.model_dump() for e in entries])
        return
    table = Table("#", "时间 when", "查看人 who", "理由 why", "命令 command", "对象 what")
    for e in entries:
        table.add_row(str(e.id), e.revealed_at.strftime("%Y-%m-%d %H:%M"), screen(e.actor),
                      screen(e.reason), screen(e.command), screen(e.subject))  # fmt: skip
    console.print(table)


def print_stats(on: date | None = None, population: int | None = None) -> None:
    """Print the seed-style summary table (used by ``stats`` and the demo)."""
    from safetynet.registry import service

    with unit_of_work() as session:
        s = service.stats(session=session, on=on or date.today(), population=population)
    table = Table(title=f"低收入人口监测 / monitored people on {s.date}")
    table.add_column("类别 category")
    table.add_column("代码 code")
    table.add_column("人数 people", justify="right")
    for c in s.by_category:
        table.add_row(screen(c.category_zh), screen(c.category), f"{c.people:,}")
    table.add_row("[bold]合计 total[/]", "", f"[bold]{s.total:,}[/]")
    table.add_row("占人口 share", "", f"{s.share:.2%} of {s.population:,}")
    o = s.other_hardship
    table.add_row(f"{o.category_zh}（不计入合计）/ outside the total", o.category, f"{o.people:,}")
    console.print(table)
    if s.by_prefecture:
        pref = Table(title="按市州 / by prefecture")
        pref.add_column("代码 code")
        pref.add_column("市州 prefecture")
        pref.add_column("人数 people", justify="right")
        for p in s.by_prefecture:
            pref.add_row(screen(p.code), screen(p.name), f"{p.people:,}")
        console.print(pref)


def demo_step(synth_dir: Path, population: int | None = None) -> None:
    """Demo: import DIR/divisions.csv (if present), DIR/registry.* and then the dated moves
    DIR/registry-moves.* (if present), then print the stats."""
    from safetynet.registry.importer import import_file

    engine = open_engine()
    divisions = synth_dir / "divisions.csv"
    if divisions.exists():
        from safetynet.regions import service as regions

        with unit_of_work(engine) as session:
            regions.load_builtin(session=session)
            regions.import_divisions(session=session, paths=[divisions])
    for name in ("registry.parquet", "registry.csv", "registry.xlsx"):
        if (synth_dir / name).exists():
            s = import_file(engine=engine, path=synth_dir / name, actor="demo")
            console.print(
                f"[green]✓[/] 登记库 / registry: {s.rows_read:,} = {s.accepted:,} + "
                f"{s.rejected:,} rejected ({s.seconds:.1f} s)"
            )
            break
    else:
        fail(f"{synth_dir} 中没有 registry.parquet/csv/xlsx / no registry file in {synth_dir}")
    for name in ("registry-moves.parquet", "registry-moves.csv"):
        if (synth_dir / name).exists():  # dated moves, imported after the registry
            s = import_file(engine=engine, path=synth_dir / name, actor="demo")
            console.print(
                f"[green]✓[/] 迁居 / moves: {s.rows_read:,} = {s.accepted:,} + "
                f"{s.rejected:,} rejected, {s.moves:,} 人迁居 people moved ({s.seconds:.1f} s)"
            )
    print_stats(population=population)
