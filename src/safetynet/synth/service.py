"""What the generator reads from the database: the official townships to build on."""

from __future__ import annotations

from sqlalchemy.orm import Session

from safetynet.regions.service import codes_at_level
from safetynet.regions.tree import Level
from safetynet.synth.geography import is_synthetic_township

__all__ = ["real_townships"]


def real_townships(*, session: Session, province: str = "62") -> list[str]:
    """Township codes of an imported official division table, synthetic ones left out."""
    codes = codes_at_level(session=session, level=Level.TOWNSHIP, within=province)
    return [code for code in codes if not is_synthetic_township(code)]
