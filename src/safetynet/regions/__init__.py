"""Administrative divisions: province → prefecture → county → township → village."""

from safetynet.regions.tree import Level, canonical, level_of, parent_of, within

__all__ = ["Level", "canonical", "level_of", "parent_of", "within"]
