"""Shared CLI helpers: JSON output, officer-readable errors, database access."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from safetynet.output import decimal_text, dumps, screen, write_json_line

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

__all__ = [
    "DB_INT_MAX",
    "JsonOpt",
    "check_limit",
    "check_month",
    "check_year",
    "console",
    "decimal_text",
    "dumps",
    "err_console",
    "fail",
    "open_engine",
    "print_json",
    "run_json_lines",
    "screen",
    "stdin_lines",
    "unit_of_work",
]

#: The CLI's Rich consoles: data is escaped with :func:`screen`; emoji codes are never expanded
#: (a name containing ``:x:`` prints as itself).
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)

JsonOpt = typer.Option(False, "--json", help="Print JSON only.")


def print_json(obj: Any) -> None:
    """One JSON document on stdout, through the output layer (always valid UTF-8)."""
    write_json_line(obj)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error an officer can act on (stderr) and exit non-zero; ``message`` is plain
    text (data in it is escaped here)."""
    err_console.print(f"[bold red]错误 / Error:[/] {screen(message)}", highlight=False)
    raise typer.Exit(code)


#: The largest integer a database key can hold (64-bit signed); larger IDs cannot exist.
DB_INT_MAX = 2**63 - 1


def check_month(month: str | None, *, in_range: bool = True) -> str:
    """``month`` through :mod:`safetynet.months`: a malformed one is a usage error (exit 2); with
    ``in_range`` (ingest, runs) one outside 2000-01 … next month is refused (exit 1)."""
    from safetynet.months import MonthError, check, parse

    try:
        return check(month) if in_range else parse(month)
    except MonthError as exc:
        fail(str(exc), code=2 if exc.usage else 1)


def check_year(year: int) -> int:
    """A year of the calculators: from 2000 to next year (otherwise a usage error, exit 2)."""
    from safetynet.ids import today_in_china

    last = today_in_china().year + 1
    if not 2000 <= year <= last:
        fail(f"年份应在 2000 与 {last} 之间 / the year must be from 2000 to {last}", code=2)
    return year


def check_limit(value: int, *, most: int = 100_000) -> int:
    """A ``--limit`` option between 1 and ``most`` (otherwise a usage error, exit 2)."""
    if not 1 <= value <= most:
        fail(f"--limit 应在 1 到 {most:,} 之间 / --limit must be from 1 to {most:,}", code=2)
    return value


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


def stdin_lines() -> Iterator[tuple[str, bool]]:
    """Non-blank stdin lines as text, read as bytes and decoded as UTF-8 whatever the locale or
    ``PYTHONIOENCODING`` say; invalid bytes become U+FFFD and the flag is then False.
    """
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream without bytes underneath (tests)
        for text in sys.stdin:
            if text.strip():
                yield text.rstrip("\r\n"), True
        return
    first = True
    for raw in stream:
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        first = False
        try:
            text, ok = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            text, ok = raw.decode("utf-8", errors="replace"), False
        if text.strip():
            yield text.rstrip("\r\n"), ok


#: Numbers in JSON-lines input: longest literal and largest magnitude accepted.
_MAX_NUMBER_CHARS = 40
_MAX_NUMBER = Decimal(10) ** 15


class BadNumber(ValueError):
    """A number in a JSON-lines input that no calculator can use (plain bilingual reason)."""


def _number(text: str) -> Decimal:
    if len(text) > _MAX_NUMBER_CHARS:
        raise BadNumber(f"数字过长 / number too long ({len(text):,} characters)")
    value = Decimal(text)
    if abs(value) >= _MAX_NUMBER:
        raise BadNumber(f"数额过大 / amount too large: {text}")
    return value


def _integer(text: str) -> int:
    return int(_number(text))


def _constant(text: str) -> Any:
    raise BadNumber(f"不是有限数字 / not a finite number: {text}")


def parse_json_line(line: str) -> Any:
    """One JSON-lines input: numbers as Decimal (integers as int), bounded; NaN refused."""
    return json.loads(line, parse_float=_number, parse_int=_integer, parse_constant=_constant)


def _lenient(line: str) -> Any:
    try:
        return json.loads(
            line,
            parse_float=lambda t: Decimal(t) if len(t) <= _MAX_NUMBER_CHARS else t,
            parse_int=lambda t: int(t) if len(t) <= _MAX_NUMBER_CHARS else t,
            parse_constant=str,
        )
    except (ValueError, RecursionError):
        return None


def run_json_lines(
    handle: Callable[[Any], dict[str, Any]], *, errors: tuple[type[Exception], ...]
) -> None:
    """The JSON-lines contract: every non-blank stdin line gets exactly one valid UTF-8 JSON
    line on stdout — ``handle``'s answer, or ``{"error": "…"}`` (with the line's ``id`` if it
    has one). ``errors`` are the exceptions whose message is already meant for the officer.
    """
    for line, utf8 in stdin_lines():
        obj: Any = None
        try:
            if not utf8:
                raise BadNumber("不是有效的 UTF-8 文本 / the line is not valid UTF-8 text")
            obj = parse_json_line(line)
            out = handle(obj)
        except json.JSONDecodeError as exc:
            out = {"error": f"不是有效的 JSON / invalid JSON: {exc.msg} (column {exc.colno})"}
        except BadNumber as exc:
            out = {"error": str(exc)}
        except errors as exc:
            out = {"error": str(exc)}
        except RecursionError:
            out = {"error": "JSON 嵌套过深 / JSON nested too deeply"}
        except Exception as exc:  # one bad line must not stop the others
            out = {"error": f"无法计算 / cannot compute: {type(exc).__name__}: {exc}"}
        if obj is None and utf8:  # a refused number: the line's id is still worth echoing
            obj = _lenient(line)
        if isinstance(obj, dict) and "id" in obj:
            out = {"id": obj["id"], **out}
        write_json_line(out)
