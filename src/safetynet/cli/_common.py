"""Shared CLI helpers: JSON output, officer-readable errors, database access."""

from __future__ import annotations

import json
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

__all__ = [
    "JsonOpt",
    "console",
    "decimal_text",
    "dumps",
    "err_console",
    "fail",
    "open_engine",
    "print_json",
    "unit_of_work",
]

console = Console()
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="Print JSON only.")


def decimal_text(value: Decimal) -> str:
    """A Decimal as a JSON number, exactly (trailing zeros dropped, never through a float).

    >>> decimal_text(Decimal("99999999999999.99")), decimal_text(Decimal("310.50"))
    ('99999999999999.99', '310.5')
    >>> decimal_text(Decimal("380.00")), decimal_text(Decimal("-0.10"))
    ('380', '-0.1')
    """
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(obj: Any) -> str:
    """JSON with Chinese kept readable, dates as ISO strings and Decimals as exact numbers.

    Money is a ``Decimal`` (yuan, two decimals) and stays exact on the wire: the standard
    encoder would go through a binary float (99999999999999.99 would print as …98). Each
    Decimal is written as a placeholder string carrying a random token and its exact text,
    and the placeholders are then replaced by the bare numbers.

    >>> dumps({"subsidy": Decimal("99999999999999.99"), "people": 2, "on": date(2024, 6, 30)})
    '{"subsidy": 99999999999999.99, "people": 2, "on": "2024-06-30"}'
    """
    token = secrets.token_hex(8)
    found = False

    def default(value: Any) -> Any:
        nonlocal found
        if isinstance(value, Decimal):
            found = True
            return f"{token}:{decimal_text(value)}"
        return _default(value)

    text = json.dumps(obj, ensure_ascii=False, default=default)
    if not found:
        return text
    return re.sub(f'"{token}:([-0-9.]+)"', r"\1", text)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error an officer can act on (stderr) and exit non-zero."""
    err_console.print(f"[bold red]错误 / Error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def open_engine(*, check_schema: bool = True) -> Engine:
    """The configured database engine, refusing (exit 1) when its schema is not current.

    The one schema check of every command that opens the database; only ``safetynet db``
    passes ``check_schema=False``. No command migrates except ``db upgrade`` and ``demo``.
    """
    from safetynet.db import SchemaNotCurrent, make_engine, require_current_schema

    engine = make_engine()
    if check_schema:
        try:
            require_current_schema(engine)
        except SchemaNotCurrent as exc:
            engine.dispose()
            fail(str(exc))
    return engine


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """The command's one transaction on the configured database (schema checked): commits
    once when the block ends, rolls back on any error."""
    from safetynet.db import unit_of_work as uow

    with uow(engine if engine is not None else open_engine()) as session:
        yield session
