"""Registry of the monitored population: households, persons, moves, category memberships."""

__all__: list[str] = []
