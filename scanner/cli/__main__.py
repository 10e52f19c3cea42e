"""``python -m scanner.cli``: the ``chujing`` command."""

from scanner.cli import run

run()
