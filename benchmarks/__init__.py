"""Benchmarks: ``make bench`` runs every ``bench_*.py`` here and writes docs/PERFORMANCE.md.

Each module has ``run(quick: bool) -> list[Result]``. Figures that have a peer (DuckDB, pandas,
…) are measured side by side in the same run and reported as ratios, since machines are noisy.
"""
