"""The ``chujing`` command: one module per command group, over the Python API.

``chujing = scanner.cli:run`` (pyproject.toml); ``python -m scanner.cli`` runs the same.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys

import click

import scanner._allocator  # noqa: F401  (must come before anything that loads pyarrow)
from scanner.cli.common import EXIT_INTERRUPTED, Interrupted, emit, fail, setup_logging
from scanner.version import __version__

# Each command's module is imported when that command runs (or when ``--help`` lists them all):
# ``chujing --version`` or ``chujing scan --help`` need neither pyarrow nor the rule files.
# Command name → (its module, the click command in it).
COMMANDS = {
    "scan": ("scanner.cli.scan", "scan_command"),
    "assess": ("scanner.cli.rules", "assess_command"),
    "rules": ("scanner.cli.rules", "rules_group"),
    "detectors": ("scanner.cli.detectors", "detectors_command"),
    "ledger": ("scanner.cli.ledger", "ledger_group"),
    "review": ("scanner.cli.review", "review_command"),
    "plan": ("scanner.cli.plan", "plan_command"),
    "redact": ("scanner.cli.plan", "redact_command"),
}


def _load(cmd_name: str) -> click.Command:
    module, attribute = COMMANDS[cmd_name]
    return getattr(importlib.import_module(module), attribute)


class _Commands(click.Group):
    """The ``chujing`` group, whose commands are loaded on first use (:data:`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(_load(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:  # "Did you mean 'scan'?" among every command
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="chujing")
def main() -> None:
    """chujing (出境): scan data exports before they cross China's border.

    \b
    Finds Chinese personal and sensitive data in CSV and Parquet exports, counts the distinct
    persons, and tells which item of the Beijing FTZ negative list (2024) or the national rules
    (CAC 2024 Provisions) applies, with the path it requires and why.

    \b
    Examples:
      chujing scan exports/ --sector automotive --scenario vehicle_rd
      chujing scan members.parquet --sector retail_services --scenario member_management --format json -o report.json
      chujing assess --sector pharmaceutical --scenario clinical_trial --subject trial_subject --personal 30000 --sensitive 30000
    """


def _interrupt(signum, frame) -> None:
    raise Interrupted()


def run() -> None:
    """The ``chujing`` command: :func:`main`, then leave at once with its exit status.

    Everything is written, flushed and closed before leaving; what is skipped is the
    interpreter's teardown of native libraries, during which a read-ahead thread of Arrow that
    is still running (a file that failed mid-stream) can abort the process under the jemalloc
    pool ("terminate called without an active exception", 2 runs in 120 under load).

    Ctrl-C (SIGINT) ends any command with one line and exit status 130, whatever it was doing
    (click's own "Aborted!" would exit 1, which reads as an incomplete scan).
    """
    signal.signal(signal.SIGINT, _interrupt)
    try:
        main(prog_name="chujing")
        code = 0
    except Interrupted:
        print("chujing: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)



__all__ = ["emit", "fail", "main", "run", "setup_logging"]
