"""``safetynet ids``: resident ID checks (a JSON-lines tool)."""

from __future__ import annotations

import sys

import typer

from safetynet import ids as ids_rules
from safetynet.cli._common import print_json

app = typer.Typer(
    help="Resident ID numbers (身份证号): normalise and validate.", no_args_is_help=True
)


@app.command("check")
def check(
    values: list[str] = typer.Argument(..., help="IDs to check, or '-' to read one per line."),
) -> None:
    """Print one JSON object per ID: input, normalized, valid, error, birth_date, sex, region_code."""
    if values == ["-"]:
        source = (line.rstrip("\r\n") for line in sys.stdin)
        values = [v for v in source if v.strip()]
    for value in values:
        print_json(ids_rules.check(value).as_json())
