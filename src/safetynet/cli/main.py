"""The ``safetynet`` command: one Typer group per module in this package."""

from __future__ import annotations

import importlib
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
    try:
        app()
    except ConfigError as exc:
        sys.stderr.write(f"错误 / Error: {exc}\n")
        raise SystemExit(2) from None
