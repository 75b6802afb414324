"""Shared CLI helpers: JSON output, officer-readable errors, database access."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

__all__ = ["JsonOpt", "console", "dumps", "err_console", "fail", "open_engine", "print_json"]

console = Console()
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="Print JSON only.")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(obj: Any) -> str:
    """Compact JSON with Chinese kept readable, dates as ISO strings, Decimals as numbers."""
    return json.dumps(obj, ensure_ascii=False, default=_default)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error an officer can act on (stderr) and exit non-zero."""
    err_console.print(f"[bold red]错误 / Error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def open_engine(*, migrate: bool = False) -> Any:
    """The configured database engine; with ``migrate`` the schema is brought up to date."""
    from safetynet.db import make_engine, upgrade

    engine = make_engine()
    if migrate:
        upgrade(engine)
    return engine
