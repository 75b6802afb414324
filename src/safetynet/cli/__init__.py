"""Command-line interface: ``safetynet <group> <command>`` (Typer + Rich)."""
