"""``python -m safetynet.cli`` is the same as the ``safetynet`` command."""

from safetynet.cli.main import main

main()
