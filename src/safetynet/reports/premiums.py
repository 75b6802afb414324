"""``calc premiums``: premium subsidies for everyone monitored, by prefecture and group."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from safetynet.parameters import ParameterSet
from safetynet.policy.premiums import PremiumReport, build_report
from safetynet.regions.service import names as region_names
from safetynet.registry.queries import premium_population

__all__ = ["premium_report"]


def premium_report(
    *,
    session: Session,
    year: int,
    on: date,
    params: ParameterSet,
    whatif: ParameterSet | None = None,
    progress: Callable[[int], Any] | None = None,
) -> PremiumReport:
    """Premium subsidies of ``year`` for everyone monitored on ``on``, by prefecture and group
    (with ``whatif``: also under other parameters). Reads only."""
    population = premium_population(session=session, on=on, progress=progress)
    names = region_names(session=session, codes=population["prefecture"].to_pylist())
    return build_report(population, year=year, on=on, params=params, whatif=whatif, names=names)
