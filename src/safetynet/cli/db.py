"""``safetynet db``: create or migrate the database schema."""

from __future__ import annotations

import typer

from safetynet.cli._common import JsonOpt, console, open_engine, print_json, screen

app = typer.Typer(help="Database schema (数据库).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head"), as_json: bool = JsonOpt) -> None:
    """Create the schema, or migrate it to the newest revision."""
    from safetynet.db import current_revision
    from safetynet.db import upgrade as do_upgrade

    engine = open_engine(check_schema=False)
    before = current_revision(engine)
    do_upgrade(engine, revision)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if as_json:
        print_json({"database": url, "from": before, "to": after})
    else:
        console.print(f"数据库 {screen(url)}: {screen(before or '(空)')} → {screen(after)}")


@app.command("current")
def current(as_json: bool = JsonOpt) -> None:
    """Show the schema revision of the configured database."""
    from safetynet.db import current_revision

    rev = current_revision(open_engine(check_schema=False))
    if as_json:
        print_json({"revision": rev})
    else:
        console.print(screen(rev or "(未初始化 / not initialised)"))
