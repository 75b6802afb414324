"""Import boundaries, checked by reading the source (ast), not by importing it.

The pure rules — ``policy``, ``ids``, ``regions/tree.py``, ``codes``, ``parameters`` and
``hashing`` — import no database, web or CLI module, directly or through another safetynet
module they import (imports inside functions count too). No domain package imports
``safetynet.cli``: the CLI sits at the edge and calls the domains, never the reverse. A private
module (``_name.py``) is imported only from inside its own package: what other packages use is
re-exported by a public module.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "safetynet"

#: Modules the pure rules must not reach: databases, web, CLI, batch engines.
FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "sqlite3",
    "adbc_driver_sqlite",
    "duckdb",
    "pyspark",
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "httpx",
    "typer",
    "click",
    "rich",
    "safetynet.db",
    "safetynet.models",
    "safetynet.config",
    "safetynet.cli",
    "safetynet.web",
    "safetynet.api",
)
PURE = (
    "safetynet.policy",
    "safetynet.ids",
    "safetynet.regions.tree",
    "safetynet.codes",
    "safetynet.parameters",
    "safetynet.hashing",
)


def _file(module: str) -> Path | None:
    """The source file of a safetynet module (None for modules outside the package)."""
    if module != "safetynet" and not module.startswith("safetynet."):
        return None
    base = SRC.joinpath(*module.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return base.with_suffix(".py") if base.with_suffix(".py").is_file() else None


def _modules_under(module: str) -> list[str]:
    """``module`` and, for a package, every module inside it."""
    file = _file(module)
    assert file is not None, module
    if file.name != "__init__.py":
        return [module]
    return sorted(
        ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for p in file.parent.rglob("*.py")
    )


@cache
def imports_of(module: str) -> frozenset[str]:
    """Every module named by an import statement anywhere in ``module``'s source."""
    file = _file(module)
    if file is None:
        return frozenset()
    package = module if file.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # ``from safetynet.x import y`` may import the submodule safetynet.x.y
            found.update(
                f"{target}.{alias.name}" for alias in node.names if _file(f"{target}.{alias.name}")
            )
    return frozenset(found)


def _with_parents(module: str) -> list[str]:
    """Importing ``a.b.c`` runs ``a/__init__``, ``a/b/__init__`` and ``a/b/c``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def reachable(module: str) -> dict[str, str]:
    """Every module ``module`` imports, directly or through safetynet modules → who imports it."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in imports_of(current):
            for step in _with_parents(name):
                if step not in seen and step != module:
                    seen[step] = current
                    if _file(step) is not None:
                        todo.append(step)
    return seen


def _hits(module: str, banned: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} (imported by {by})"
        for name, by in reachable(module).items()
        if any(name == b or name.startswith(b + ".") for b in banned)
    )


@pytest.mark.parametrize("module", [m for pure in PURE for m in _modules_under(pure)])
def test_pure_rules_import_no_database_web_or_cli(module: str) -> None:
    assert _hits(module, FORBIDDEN) == []


def _domain_modules() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        if not module.startswith(("safetynet.cli", "safetynet.migrations")):
            out.append(module)
    return out


@pytest.mark.parametrize("module", _domain_modules())
def test_no_domain_module_imports_the_cli(module: str) -> None:
    direct = [
        name
        for name in imports_of(module)
        if name == "safetynet.cli" or name.startswith("safetynet.cli.")
    ]
    assert direct == []


def _private_owner(name: str) -> str | None:
    """The package that owns ``name`` if it is a private safetynet module, else None."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__") and _file(".".join(parts[: i + 1])):
            return ".".join(parts[:i])
    return None


@pytest.mark.parametrize("module", _domain_modules() + _modules_under("safetynet.cli"))
def test_private_modules_stay_inside_their_package(module: str) -> None:
    outside = []
    for name in imports_of(module):
        owner = _private_owner(name)
        if owner is not None and not (module == owner or module.startswith(owner + ".")):
            outside.append(name)
    assert outside == []


def test_the_walk_sees_indirect_and_lazy_imports() -> None:
    """The checker itself: it follows safetynet imports and finds imports inside functions."""
    assert "sqlalchemy" in reachable("safetynet.registry.service")  # direct
    assert "sqlalchemy" in reachable("safetynet.registry.importer")  # through registry.models
    assert "safetynet.feeds.lake" in imports_of("safetynet.config")  # inside a function
    assert "safetynet.parameters" in reachable("safetynet.policy.medical")
    assert "yaml" in reachable("safetynet.policy.medical")  # allowed: not a framework
