"""``safetynet feeds``: ingest monthly department files, inspect the log and the quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from safetynet.cli._common import (
    JsonOpt,
    check_month,
    console,
    err_console,
    fail,
    open_engine,
    print_json,
    screen,
    unit_of_work,
)
from safetynet.config import get_settings
from safetynet.output import shown_reject

__all__ = ["app", "demo_step"]

app = typer.Typer(
    help="部门月度数据 / monthly department feeds: ingest, quarantine, lake.", no_args_is_help=True
)

SourceOpt = typer.Option(..., "--source", "-s", help="数据来源 / source (hospital, disease, …).")
ActorOpt = typer.Option(None, "--actor", help="操作人 / who runs the ingest (default: OS user).")


def _spec(source: str) -> Any:
    from safetynet.feeds.specs import get_spec

    try:
        return get_spec(source)
    except KeyError as exc:
        fail(str(exc.args[0]))


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    )


def _ingest_one(
    engine: Any, source: str, month: str, file: Path, actor: str | None, quiet: bool
) -> Any:
    from safetynet.feeds.service import ingest_file

    with _progress(quiet) as bar:
        task = bar.add_task(f"导入 / ingest {screen(source)} {screen(month)}", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        def waiting() -> None:
            message = (
                f"等待同一分区的另一次导入结束 / waiting for another ingest of {screen(source)} "
                f"{screen(month)} "
                "to finish"
            )
            (err_console if quiet else bar.console).print(message, highlight=False)

        return ingest_file(
            engine=engine, source=source, month=month, path=file, actor=actor, on_progress=tick,
            on_wait=waiting,
        )  # fmt: skip


def _summary(r: Any) -> None:
    if r.repeat:
        console.print(
            f"[yellow]↺[/] {screen(r.source)} {screen(r.month)}: 文件与已导入的相同，未做更改 / same file as the "
            f"current partition — nothing changed (logged as repeat #{r.id})"
        )
        return
    console.print(
        f"[green]✓[/] {screen(r.source)} {screen(r.month)} ← {screen(r.file_name)} "
        f"({screen(r.file_format)}{', ' + screen(r.encoding) if r.encoding else ''}): 读取 read {r.rows_read:,} = "
        f"接收 accepted {r.rows_accepted:,} + 隔离 quarantined {r.rows_quarantined:,}"
        f"{f'; 空行 blank lines skipped {r.blank_lines:,}' if r.blank_lines else ''}",
        highlight=False,
    )
    if r.extra_columns:
        console.print(
            f"  忽略的列 / ignored columns: {screen(', '.join(r.extra_columns))}", highlight=False
        )


@app.command("ingest")
def ingest(
    file: Path = typer.Argument(
        ..., help="部门文件 / the department file (.csv, .xlsx, .parquet)."
    ),
    source: str = SourceOpt,
    month: str = typer.Option(..., "--month", "-m", help="报送月份 / reporting month YYYY-MM."),
    actor: str | None = ActorOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Validate one file and make it the (source, month) lake partition; bad rows are quarantined."""
    from safetynet.feeds.lake import PartitionBusy
    from safetynet.feeds.specs import FeedRefused

    _spec(source)
    check_month(month)
    engine = open_engine()
    try:
        result = _ingest_one(engine, source, month, file, actor, as_json)
    except PartitionBusy as exc:
        fail(f"未做任何更改 / nothing changed: {exc}")
    except FeedRefused as exc:
        fail(f"文件被拒绝，未做任何更改 / file refused, nothing changed: {exc}")
    if as_json:
        print_json(result.as_json())
    else:
        _summary(result)


@app.command("ingest-dir")
def ingest_dir(
    directory: Path = typer.Argument(..., help="月份目录 / a month folder, e.g. feeds/2024-03."),
    month: str | None = typer.Option(
        None, "--month", "-m", help="默认取目录名 / default: folder name."
    ),
    actor: str | None = ActorOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Ingest every ``<source>.<csv|xlsx|parquet>`` file of a month folder named ``YYYY-MM``."""
    done = _ingest_dir(directory, month, actor, as_json)
    if as_json:
        print_json({"results": [r.as_json() for r in done.results], "problems": done.problems})
    if done.problems:
        if not as_json:
            for p in done.problems:
                console.print(f"[red]✗[/] {screen(p)}", highlight=False)
        raise typer.Exit(1)


def _ingest_dir(directory: Path, month: str | None, actor: str | None, quiet: bool) -> Any:
    """:func:`~safetynet.feeds.service.ingest_month` with a progress bar per file."""
    from safetynet.feeds.service import ingest_month
    from safetynet.feeds.specs import FeedRefused

    engine = open_engine()
    with _progress(quiet) as bar:
        tasks: dict[str, Any] = {}

        def tick(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(f"导入 / ingest {screen(source)}", total=None)
            bar.update(tasks[source], completed=done, total=total or None)

        def waiting(source: str, month: str) -> None:
            message = (
                f"等待同一分区的另一次导入结束 / waiting for another ingest of {screen(source)} "
                f"{screen(month)} "
                "to finish"
            )
            (err_console if quiet else bar.console).print(message, highlight=False)

        def finished(result: Any) -> None:
            if source_task := tasks.pop(result.source, None):
                bar.remove_task(source_task)
            if not quiet:
                _summary(result)

        try:
            return ingest_month(
                engine=engine, directory=directory, month=month, actor=actor, on_progress=tick,
                on_wait=waiting, on_result=finished,
            )  # fmt: skip
        except FeedRefused as exc:
            fail(str(exc))


@app.command("list")
def list_(
    source: str | None = typer.Option(None, "--source", "-s"),
    month: str | None = typer.Option(None, "--month", "-m"),
    as_json: bool = JsonOpt,
) -> None:
    """The ingest log, newest first (file hash, counts, repeat flag, who and when)."""
    from safetynet.feeds.service import list_ingests

    if month is not None:
        check_month(month, in_range=False)
    with unit_of_work() as session:
        log = list_ingests(session=session, source=source, month=month)
    rows = [r.model_dump() for r in log]
    if as_json:
        print_json(rows)
        return
    table = Table("#", "来源 source", "月份 month", "文件 file", "读取 read", "接收 ok",
                  "隔离 quar.", "重复 repeat", "操作人 actor", "时间 finished", "SHA-256")  # fmt: skip
    for r in rows:
        table.add_row(
            str(r["id"]), screen(r["source"]), screen(r["month"]), screen(r["file_name"]),
            f"{r['rows_read']:,}", f"{r['rows_accepted']:,}", f"{r['rows_quarantined']:,}",
            "是" if r["repeat"] else "", screen(r["actor"]), f"{r['finished_at']:%Y-%m-%d %H:%M}",
            screen(r["file_sha256"][:12]),
        )  # fmt: skip
    console.print(table)


@app.command("rejects")
def rejects(
    source: str = SourceOpt,
    month: str = typer.Option(..., "--month", "-m"),
    xlsx: Path | None = typer.Option(
        None,
        "--xlsx",
        help="导出Excel（含完整值，供部门更正）/ write an XLSX workbook with the FULL values "
        "(unmasked, for the department to correct and resend).",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """The quarantine of a (source, month) partition: row, field, value, reason.

    On screen and in --json resident IDs are masked and record IDs replaced by references; the
    --xlsx export is the one deliberate exception and keeps the full values (docs/security.md).
    """
    from safetynet.feeds.export import write_rejects_xlsx
    from safetynet.feeds.service import current_rejects, list_ingests

    spec = _spec(source)
    check_month(month, in_range=False)
    with unit_of_work() as session:
        if not list_ingests(session=session, source=source, month=month):
            fail(f"{source} {month} 从未导入 / {source} {month} was never ingested")
        quarantine = current_rejects(session=session, source=source, month=month)
    rows = [r.model_dump() for r in quarantine]
    if xlsx is not None:
        n = write_rejects_xlsx(rows, spec, xlsx)
        if not as_json:
            console.print(
                f"[green]✓[/] {n:,} 条隔离记录已导出 / quarantine rows written to {screen(xlsx)}"
            )
    key = get_settings().record_key
    shown = [shown_reject(r, source=source, key=key) for r in rows]
    if as_json:
        print_json(shown)
    elif xlsx is None:
        table = Table("行号 row", "记录 record", "字段 field", "值 value", "原因 reason")
        for r in shown[:200]:
            table.add_row(str(r["row_number"]), screen(r["record"]), screen(r["field"]),
                          screen(r["value"]),
                          screen(f"{r['reason_zh']} / {r['reason_en']}"))  # fmt: skip
        console.print(table)
        console.print("身份证号已脱敏；完整值见 --xlsx 导出 / resident IDs masked here; the --xlsx "
                      "export has the full values for correction")  # fmt: skip
        if len(rows) > 200:
            console.print(f"… {len(rows) - 200:,} more; use --xlsx or --json")


@app.command("template")
def template(
    source: str = SourceOpt,
    out: Path = typer.Option(..., "--out", "-o", help="FILE.csv 或 FILE.xlsx"),
) -> None:
    """Write the empty file a department fills in (Chinese headings)."""
    from safetynet.feeds.export import write_template

    spec = _spec(source)
    try:
        write_template(spec, out)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"[green]✓[/] 模板 / template: {screen(out)}")


@app.command("spec")
def spec(source: str = SourceOpt, as_json: bool = JsonOpt) -> None:
    """The feed's fields: Chinese heading, type, required, allowed codes."""
    s = _spec(source)
    if as_json:
        print_json(s.as_json())
        return
    console.print(screen(f"{s.title_zh} / {s.title_en} — {s.department_zh} / {s.department_en}"))
    table = Table(
        "列名 heading", "字段 field", "类型 type", "必填 req.", "最长 max", "可填值 allowed"
    )
    for f in s.fields:
        allowed = "、".join(f"{k}={v}" for k, v in f.codes.items() if k != v and k != v.upper())
        table.add_row(
            screen(f.heading), screen(f.name), screen(f.kind), "是" if f.required else "",
            str(f.max_length), screen(allowed),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"记录编号 record ID: {screen(s.record_id)} · 事件日期 event date: {screen(s.event_date)}"
    )


def demo_step(synth_dir: Path) -> None:
    """Ingest every month folder under ``<synth_dir>/feeds/`` (for ``safetynet demo``)."""
    root = Path(synth_dir) / "feeds"
    months = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not months:
        console.print(f"[yellow]![/] 没有部门数据 / no feed folders under {screen(root)}")
        return
    total = accepted = quarantined = 0
    for folder in months:
        done = _ingest_dir(folder, None, "demo", True)
        total += done.rows_read
        accepted += done.rows_accepted
        quarantined += done.rows_quarantined
        for p in done.problems:
            console.print(f"[red]✗[/] {screen(folder.name)} {screen(p)}", highlight=False)
    console.print(
        f"[green]✓[/] 部门数据 / feeds: {len(months)} 个月 months, 读取 read {total:,} = "
        f"接收 accepted {accepted:,} + 隔离 quarantined {quarantined:,}"
    )
