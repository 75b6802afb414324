"""Import every domain's tables so that ``Base.metadata`` is complete (for Alembic checks)."""

from __future__ import annotations

import importlib

__all__ = ["MODEL_MODULES", "load_all"]

#: Every module that declares tables; add a domain's ``models`` module here.
MODEL_MODULES = [
    "safetynet.regions.models",
    "safetynet.registry.models",
    "safetynet.feeds.models",
    "safetynet.monitoring.models",
    "safetynet.standards.models",
    "safetynet.workflow.models",
]


def load_all() -> None:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise  # a real missing dependency, not a domain without tables yet
