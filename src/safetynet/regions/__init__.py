"""Administrative divisions: province → prefecture → county → township → village.

The pure code rules live in :mod:`safetynet.regions.tree`; the database side (imports,
queries, SQL scoping) in :mod:`safetynet.regions.service`.
"""

from safetynet.regions.tree import (
    Level,
    RegionCodeError,
    canonical,
    chain,
    level_of,
    parent_of,
    within,
)

__all__ = ["Level", "RegionCodeError", "canonical", "chain", "level_of", "parent_of", "within"]
