"""The ``safetynet`` command: one Typer group per module in this package."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

import typer

from safetynet.config import ConfigError

#: (module under safetynet.cli, group name); a module may instead add plain commands
#: through a ``register(app)`` function.
GROUPS = [
    ("ids", "ids"),
    ("db", "db"),
    ("regions", "regions"),
    ("registry", "registry"),
    ("synth", None),
    ("stats", None),
    ("feeds", "feeds"),
    ("monitor", "monitor"),
    ("calc", "calc"),
    ("standards", "standards"),
    ("eligibility", "eligibility"),
    ("demo", None),
]

app = typer.Typer(
    help="safetynet — 低收入人口动态监测与分层分类社会救助 (low-income monitoring and assistance).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _load() -> None:
    for module_name, group in GROUPS:
        try:
            module = importlib.import_module(f"safetynet.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"safetynet.cli.{module_name}":
                continue  # that command group is not built yet
            raise
        if group is None:
            module.register(app)
        elif module.app.registered_commands or module.app.registered_groups:
            app.add_typer(module.app, name=group)


_load()


def main() -> None:
    """Run the command, then leave the process without interpreter finalisation.

    pyarrow and DuckDB keep native worker threads. If one of them is still inside, or about
    to re-enter, Python when the interpreter finalises (a refused file whose read-ahead was
    pending, say), CPython ends it with ``pthread_exit``; the unwind crosses C++ frames and
    the process dies of SIGABRT ("terminate called without an active exception") after it
    has printed its answer. Every command closes what it writes (``with`` blocks, committed
    transactions), so once stdout and stderr are flushed nothing is left for finalisation
    to do, and ``os._exit`` ends the process with the command's status.
    """
    try:
        app()
    except ConfigError as exc:
        sys.stderr.write(f"错误 / Error: {exc}\n")
        code: object = 2
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    os._exit(_status(code))


def _status(code: object) -> int:
    """Flush stdout and stderr; the exit status for a ``SystemExit`` code.

    >>> _status(None), _status(3)
    (0, 3)
    """
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    return code or 0
