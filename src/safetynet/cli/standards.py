"""``safetynet standards``: import and list the regional standards (dibao standard and others)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from safetynet.cli._common import JsonOpt, console, fail, open_engine, print_json, screen

__all__ = ["app", "demo_step"]

app = typer.Typer(
    help="认定标准 / regional standards: dibao and tekun standards, income, asset limits.",
    no_args_is_help=True,
)

_MAX_SHOWN = 30


def _print_summary(s: Any) -> None:
    if s.repeat:
        console.print(
            f"[yellow]文件已导入过，未作更改 / the same file was imported before: nothing changed"
            f"[/] (import #{s.import_id}; --force 重新校验 / to check it again)"
        )
        return
    console.print(
        f"读取 read {s.rows_read} · 接受 accepted {s.accepted} (新增 new {s.new} · 更新 updated "
        f"{s.updated} · 未变 unchanged {s.unchanged}) · 拒绝 rejected {s.rejected} "
        f"(import #{s.import_id})",
        highlight=False,
    )
    if s.rejects:
        from rich.table import Table

        table = Table(title="被拒绝的行 / rejected rows", title_justify="left")
        for col in ("行 row", "字段 field", "值 value", "原因 reason"):
            table.add_column(col, overflow="fold")
        for r in s.rejects[:_MAX_SHOWN]:
            table.add_row(
                str(r.row_number),
                screen(r.field),
                screen(r.value),
                screen(f"{r.reason_zh} / {r.reason_en}"),
            )
        console.print(table)
        if len(s.rejects) > _MAX_SHOWN:
            console.print(
                f"… 另有 {len(s.rejects) - _MAX_SHOWN} 行，用 --json 查看全部 / see --json"
            )


@app.command("import")
def import_(
    file: Path | None = typer.Argument(
        None, help="标准文件 CSV/XLSX: 县区代码, 城乡, 种类, 金额, 起始日期, 依据"
    ),
    builtin: bool = typer.Option(
        False, "--builtin", help="Import the shipped default set (PROVISIONAL figures)."
    ),
    actor: str = typer.Option("", help="导入人 / who imports (default: the login name)."),
    force: bool = typer.Option(False, "--force", help="Check a file imported before again."),
    as_json: bool = JsonOpt,
) -> None:
    """Validate a standards file and upsert it; bad rows are quarantined; re-runs change nothing."""
    from safetynet.db import unit_of_work
    from safetynet.standards.service import ImportRefused, import_builtin, import_file

    if (file is None) == (not builtin):
        fail("请给出一个标准文件，或使用 --builtin / give one standards file or --builtin")
    engine = open_engine()
    try:
        with unit_of_work(engine) as session:
            if builtin:
                summary = import_builtin(session=session, actor=actor or None)
            else:
                assert file is not None
                summary = import_file(session=session, path=file, actor=actor or None, force=force)
    except ImportRefused as exc:
        fail(str(exc))
    if as_json:
        out = {k: v for k, v in vars(summary).items() if k != "rejects"}
        out["rejects"] = [vars(r) for r in summary.rejects]
        print_json(out)
    else:
        _print_summary(summary)


@app.command("list")
def list_(
    county: str | None = typer.Option(None, "--county", help="Only this county (6 digits)."),
    on: str | None = typer.Option(
        None, "--date", help="Only the figures in force on this day (YYYY-MM-DD)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """List the stored standards (every dated row, or those in force on --date)."""
    from safetynet.db import unit_of_work
    from safetynet.standards.service import list_standards

    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        fail(f"--date 应为日期 YYYY-MM-DD / not a date: {on}")
    engine = open_engine()
    try:
        with unit_of_work(engine) as session:
            rows = list_standards(session=session, county=county, on=day)
    except LookupError as exc:
        fail(str(exc))
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    from safetynet.policy.standards import KIND_NAMES

    table = Table(title="认定标准 / standards" + (f"（{day} 适用 / in force）" if day else ""))
    for col in (
        "县区 county",
        "城乡 area",
        "种类 kind",
        "金额 amount",
        "起始 from",
        "依据 reference",
    ):
        table.add_column(col, overflow="fold", justify="right" if "金额" in col else "left")
    for r in rows:
        table.add_row(
            screen(r["county"]), "城镇" if r["area"] == "urban" else "农村",
            screen(f"{KIND_NAMES[r['kind']]} {r['kind']}"), f"{r['amount']:,.2f}",
            r["valid_from"].isoformat(), screen(r["reference"]),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} 行 / rows")


def demo_step() -> None:
    """Import the shipped default standards into the demo database (idempotent)."""
    from safetynet.db import unit_of_work
    from safetynet.standards.service import import_builtin

    engine = open_engine()
    with unit_of_work(engine) as session:
        s = import_builtin(session=session, actor="demo")
    console.print(
        f"[green]✓[/] 认定标准（暂定默认值）/ standards (PROVISIONAL defaults): "
        f"{s.new} new, {s.unchanged} unchanged" + (" (repeat)" if s.repeat else "")
    )
