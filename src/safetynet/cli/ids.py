"""``safetynet ids``: resident ID checks (a JSON-lines tool)."""

from __future__ import annotations

import typer

from safetynet import ids as ids_rules
from safetynet.cli._common import print_json, stdin_lines

app = typer.Typer(
    help="Resident ID numbers (身份证号): normalise and validate.", no_args_is_help=True
)


@app.command("check")
def check(
    values: list[str] = typer.Argument(..., help="IDs to check, or '-' to read one per line."),
) -> None:
    """Print one JSON object per ID: input, normalized, valid, error, birth_date, sex, region_code."""
    if values == ["-"]:  # one answer per line as it comes; invalid bytes read as U+FFFD
        for line, _ in stdin_lines():
            print_json(ids_rules.check(line).as_json())
        return
    for value in values:
        print_json(ids_rules.check(value).as_json())
