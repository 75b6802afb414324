"""``safetynet demo``: build the demo province end to end and say how to use it."""

from __future__ import annotations

import typer

from safetynet.cli._common import console, screen

#: The demo province: 1 % of Gansu (about 43 K monitored people), 12 months from 2024-01.
DEMO_SCALE = 0.01


def run_demo() -> None:
    """Synthesise, import, ingest and monitor the demo province (each step idempotent)."""
    from safetynet.cli import feeds, monitor, regions, registry, standards, synth
    from safetynet.config import get_settings
    from safetynet.db import make_engine, upgrade
    from safetynet.parameters import default_parameters

    settings = get_settings()
    province = int(default_parameters().get("registry.population.province", "2024-01-01"))
    console.rule("safetynet demo — 模拟省份 / synthetic province")
    engine = make_engine()
    upgrade(engine)  # the demo, like `db upgrade`, brings the schema up to date
    engine.dispose()
    regions.demo_step()
    standards.demo_step()
    synth_dir = synth.demo_step(settings.home / "synth")
    registry.demo_step(synth_dir, population=round(province * DEMO_SCALE))
    feeds.demo_step(synth_dir)
    monitor.demo_step()
    console.rule()
    console.print(f"数据库 / database: {screen(settings.db_url)}")
    console.print(f"数据湖 / lake: {screen(settings.lake)}")
    console.print(
        "演示完成 / demo ready. 试试 / try:\n"
        "  .venv/bin/safetynet stats\n"
        "  .venv/bin/safetynet monitor runs\n"
        "  .venv/bin/safetynet monitor explain HOUSEHOLD_ID --month 2024-12\n"
        "  .venv/bin/safetynet feeds list\n"
        "  .venv/bin/safetynet standards list --county 620102 --date 2024-12-31\n"
        '  echo \'{"group":"dibao","oop":25000,"major_disease":false,"year":2024}\''
        " | .venv/bin/safetynet calc medical",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo() -> None:
        """Build the synthetic demo province, import it, ingest its feeds and run the monitoring."""
        run_demo()
