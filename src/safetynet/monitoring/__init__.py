"""Monthly monitoring: dated weighted scoring of feed hits against the registry, explainable
blue/yellow/orange/red warnings; the SQL in ``sql/`` runs on DuckDB (default) or Spark."""

__all__: list[str] = []
