"""Division table."""

from __future__ import annotations

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from safetynet.db import Base

__all__ = ["Region"]


class Region(Base):
    """One division: canonical code (2/4/6/9/12 digits), name, level and parent."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    parent_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("region.code"), index=True
    )
    #: Where the row came from: ``builtin`` (package data), ``import:<file>`` or ``synthetic``.
    source: Mapped[str] = mapped_column(String(200), default="builtin")
