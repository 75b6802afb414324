"""``safetynet eligibility``: dibao, near-dibao, rigid-expense and tekun decisions; what-ifs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from safetynet.cli._common import fail, open_engine
from safetynet.cli.calc import ParamsOpt, _json_lines, _params

__all__ = ["app"]

app = typer.Typer(
    help="救助对象认定 / eligibility: dibao, near-dibao, rigid-expense households and tekun.",
    no_args_is_help=True,
)

StandardsOpt = typer.Option(
    None,
    "--standards",
    help="Standards file (CSV/XLSX) to use instead of the database's standards.",
)


def _standards(file: Path | None) -> Any:
    """The standards of ``file``, else those stored in the database."""
    from safetynet.policy import CalcError
    from safetynet.standards.files import ImportRefused, read_standard_set

    if file is not None:
        try:
            return read_standard_set(file)
        except ImportRefused as exc:
            fail(str(exc))
    from safetynet.db import unit_of_work
    from safetynet.standards.service import load_set

    try:
        with unit_of_work(open_engine()) as session:
            return load_set(session=session)
    except CalcError as exc:
        fail(str(exc))


@app.command("check")
def check(
    standards: Path | None = StandardsOpt,
    params: list[Path] | None = ParamsOpt,
) -> None:
    """Read JSON lines (an economic record plus county, urban, date) on stdin; write one
    decision per line: decision, tekun_members, income_per_person_month, standard, conditions,
    parameter_version — or {"error": "…"} for a bad line (exit 0). See docs/eligibility.md."""
    from safetynet.policy.eligibility import check_from_json

    ps = _params(params)
    sset = _standards(standards)
    _json_lines(lambda obj: check_from_json(obj, sset, ps).as_json())
