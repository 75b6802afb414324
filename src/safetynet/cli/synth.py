"""``safetynet synth``: write a synthetic Gansu province (registry, divisions, monthly feeds)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

from safetynet.cli._common import JsonOpt, check_month, console, fail, print_json, screen

__all__ = ["demo_step", "register"]

DEMO_PARAMS = {"scale": 0.01, "seed": 7, "months": 12, "start": "2024-01"}


def _real_townships() -> list[str]:
    """Township codes of an imported official division table (not synthetic ones)."""
    from safetynet.cli._common import unit_of_work
    from safetynet.synth.service import real_townships

    with unit_of_work() as session:
        return real_townships(session=session)


def _run(params: Any, out: Path, *, quiet: bool, real: list[str] | None) -> dict[str, Any]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from safetynet.synth.generate import generate

    if quiet:
        return generate(params, out, real_townships=real)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("模拟省份 / synthetic province", total=None)
        return generate(
            params,
            out,
            real_townships=real,
            progress=lambda msg: progress.update(task, description=screen(msg)),
        )


def _summary(manifest: dict[str, Any], seconds: float) -> None:
    from rich.table import Table

    from safetynet.synth.tables import CATEGORY_ZH

    reg = manifest["registry"]
    table = Table(title="模拟省份 / synthetic province")
    table.add_column("类别 / category")
    table.add_column("人数 / people", justify="right")
    other = "other_hardship"  # outside the seed's ten-category total, on its own line
    for code, count in reg["by_category"].items():
        if code != other:
            table.add_row(f"{CATEGORY_ZH[code]} ({code})", f"{count:,}")
    table.add_row("合计 / total", f"{reg['monitored']:,}")
    table.add_row(
        f"{CATEGORY_ZH[other]} ({other})（不计入合计 / outside the total）",
        f"{reg['by_category'].get(other, 0):,}",
    )
    console.print(table)
    rows = sum(f["rows"] for f in manifest["feeds"])
    dirty = sum(f["dirty_rows"] for f in manifest["feeds"])
    console.print(
        f"全省人口 / population {manifest['province_population']:,} · 监测占比 / share "
        f"{reg['monitored_share_percent']:.2f}% · 登记行 / registry rows {reg['rows']:,} · "
        f"部门数据 / feed rows {rows:,} (脏行 / dirty {dirty:,}) · "
        f"迁居 / moves {manifest['moves']['persons']:,} · {seconds:.1f} s"
    )


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        scale: float = typer.Option(0.01, "--scale", help="1.0 = all of Gansu (24.66 M people)."),
        seed: int = typer.Option(7, "--seed", help="Same seed, same files."),
        months: int = typer.Option(12, "--months", min=1, max=60),
        start: str = typer.Option("2024-01", "--start", help="First feed month, YYYY-MM."),
        out: Path = typer.Option(..., "--out", help="Output folder."),
        townships_from_db: bool = typer.Option(
            False, "--townships-from-db", help="Use real township codes from the database."
        ),
        json_out: bool = JsonOpt,
    ) -> None:
        """生成模拟省份 / Write a synthetic province: divisions.csv, registry, feeds, manifest.json."""
        from safetynet.synth.generate import SynthParams

        if not 0 < scale <= 2:
            fail(f"规模必须在 0 到 2 之间 / --scale must be in (0, 2], got {scale}")
        check_month(start)
        real = None
        if townships_from_db:
            real = _real_townships()
            if not real:
                fail(
                    "数据库中没有正式乡镇区划，请先导入 / no official townships in the database: "
                    "run `safetynet regions import` with the official table first"
                )
        params = SynthParams(scale=scale, seed=seed, months=months, start=start,
                             townships_from_db=townships_from_db)  # fmt: skip
        t0 = time.perf_counter()
        try:
            manifest = _run(params, out, quiet=json_out, real=real)
        except OSError as exc:
            fail(f"无法写入输出目录 / cannot write to {out}: {exc}")
        if json_out:
            print_json({k: manifest[k] for k in ("params", "province_population", "registry", "moves", "divisions")}
                       | {"out": str(out), "seconds": round(time.perf_counter() - t0, 2)})  # fmt: skip
        else:
            _summary(manifest, time.perf_counter() - t0)
            console.print(f"[green]✓[/] 已写入 / written to {screen(out)}")


def demo_step(out_dir: Path | str | None = None) -> Path:
    """Build the demo province (scale 0.01, seed 7, 12 months from 2024-01) unless it exists."""
    from safetynet.config import get_settings
    from safetynet.synth.generate import SynthParams

    out = Path(out_dir) if out_dir is not None else get_settings().home / "synth"
    manifest = out / "manifest.json"
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text("utf-8"))
        except ValueError:
            old = {}
        same = all(old.get("params", {}).get(k) == v for k, v in DEMO_PARAMS.items())
        if same and "moves" in old and "economy" in old:  # built before those: rebuilt
            console.print(
                f"[green]✓[/] 模拟省份已存在 / synthetic province already built: {screen(out)}"
            )
            return out
    params = SynthParams(**DEMO_PARAMS)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    result = _run(params, out, quiet=False, real=None)
    _summary(result, time.perf_counter() - t0)
    return out
