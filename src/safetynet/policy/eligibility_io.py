"""Read the economic records of a whole province (Parquet) for ``eligibility simulate``.

``economy_households.parquet`` and ``economy_members.parquet`` (as ``safetynet synth`` writes
them; a department can produce the same from its economic-check system): the columns of
:mod:`safetynet.policy.eligibility_vector`, money in integer fen. Columns beyond those are
ignored; a missing one refuses the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from safetynet.policy._money import CalcError
from safetynet.policy.eligibility_vector import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS

__all__ = ["HOUSEHOLDS_FILE", "MEMBERS_FILE", "read_economy"]

HOUSEHOLDS_FILE = "economy_households.parquet"
MEMBERS_FILE = "economy_members.parquet"


def _read(path: Path, columns: tuple[str, ...]) -> dict[str, Any]:
    if not path.is_file():
        raise CalcError(
            f"找不到家庭经济状况文件 / no economic records at {path} (safetynet synth writes them)"
        )
    have = set(pq.read_schema(path).names)
    missing = [c for c in columns if c not in have]
    if missing:
        raise CalcError(f"{path.name} 缺少列 / lacks column(s): {', '.join(missing)}")
    # the county as a dictionary column: the rules encode it without hashing 2.5 M strings
    table = pq.read_table(
        path, columns=list(columns), read_dictionary=["county"] if "county" in columns else None
    )
    out: dict[str, Any] = {}
    for name in columns:
        col = table.column(name)
        if name in ("county", "birth_date"):
            out[name] = col.combine_chunks()
        else:
            out[name] = col.to_numpy()
    return out


def read_economy(folder: Path) -> tuple[dict[str, Any], dict[str, Any], int]:
    """(households, members, rows) of the two Parquet files in ``folder``."""
    households = _read(folder / HOUSEHOLDS_FILE, HOUSEHOLD_COLUMNS)
    members = _read(folder / MEMBERS_FILE, MEMBER_COLUMNS)
    n = len(households["members"])
    hh = np.asarray(members["household"])
    if hh.size and (hh.min() < 0 or hh.max() >= n):
        raise CalcError("economy_members.household 超出家庭行号 / points outside the households")
    if isinstance(households["county"], pa.ChunkedArray):  # pragma: no cover - combine_chunks
        households["county"] = households["county"].combine_chunks()
    return households, members, n
