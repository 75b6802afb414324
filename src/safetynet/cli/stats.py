"""``safetynet stats``: the seed-style summary of monitored people from the database."""

from __future__ import annotations

from datetime import date

import typer

from safetynet.cli._common import JsonOpt, fail, print_json, unit_of_work

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("stats")
    def stats(
        on: str = typer.Option("", "--date", help="统计日期 / date (YYYY-MM-DD; default today)."),
        population: int = typer.Option(
            0, help="人口分母 / population denominator (default: registry.population.province)."
        ),
        json_: bool = JsonOpt,
    ) -> None:
        """People by primary category, total, share of population, and by prefecture."""
        from safetynet.cli.registry import print_stats
        from safetynet.registry import service

        try:
            day = date.fromisoformat(on) if on else date.today()
        except ValueError:
            fail(f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD: {on}")
        if json_:
            with unit_of_work() as session:
                s = service.stats(session=session, on=day, population=population or None)
            print_json(s.model_dump())
            return
        print_stats(day, population or None)
