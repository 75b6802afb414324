"""``safetynet demo``: build the demo province end to end and say how to use it."""

from __future__ import annotations

import typer

from safetynet.cli._common import console, open_engine

#: Steps run in order by ``safetynet demo``; each domain appends its own.
STEPS: list[tuple[str, str]] = [
    ("safetynet.cli.demo", "step_database"),
]


def step_database() -> None:
    engine = open_engine(migrate=True)
    console.print(f"[green]✓[/] 数据库已就绪 / database ready: {engine.url}")


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo() -> None:
        """Build the synthetic demo province, run the monitoring and print how to log in."""
        import importlib

        from safetynet.config import get_settings

        settings = get_settings()
        console.rule("safetynet demo")
        for module_name, func in STEPS:
            getattr(importlib.import_module(module_name), func)()
        console.rule()
        console.print(f"数据目录 / data: {settings.home.resolve()}")
        console.print("演示完成 / demo ready. Try: .venv/bin/safetynet --help")
