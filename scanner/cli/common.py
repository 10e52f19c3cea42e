"""What every ``chujing`` command shares: logging, the one ``fail``, the context options, writing a report."""

from __future__ import annotations

import os
import sys

import click

from scanner.logs import JsonLogFormatter, setup_logging  # noqa: F401 - the CLI's logging
from scanner.report.model import EXIT_ERROR, EXIT_USAGE

SECTORS = {
    "automotive": ["vehicle_rd", "vehicle_testing", "connected_vehicle_services", "charging_station", "ota", "after_sales", "other"],
    "pharmaceutical": ["clinical_trial", "drug_rd", "pharmacovigilance", "product_complaint", "medical_inquiry",
                       "hcp_management", "diagnosis_treatment", "business_partner_management", "other"],
    "civil_aviation": ["aircraft_safety", "aircraft_maintenance", "rd_manufacturing", "customer_service", "other"],
    "retail_services": ["member_management", "other"],
    "ai_training": ["model_training", "algorithm_development", "product_testing", "other"],
    "other": ["other"],
}
SUBJECTS = ["trial_subject", "patient", "hcp", "member", "other"]  # for help texts; the rule set decides
MODALITIES = ["text", "image", "audio", "video"]
FORMATS = ["table", "json", "md", "html"]


EXIT_INTERRUPTED = 130  # the shell's 128 + SIGINT


class Interrupted(BaseException):
    """Ctrl-C: raised by the ``chujing`` command's SIGINT handler. Not a KeyboardInterrupt, which
    click turns into "Aborted!" and exit 1; a BaseException, so that no ``except Exception``
    of a scan swallows it."""


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print one line on stderr and exit: user mistakes never show a traceback."""
    click.echo(f"chujing: {message}", err=True)
    sys.exit(code)


def shown(path: str | os.PathLike) -> str:
    """A path the user gave as a message prints it: persons' names and identifiers masked
    (:func:`scanner.sources.names.display_path`), as every report and log prints paths."""
    from scanner.sources.names import display_path

    return display_path(os.fspath(path))


def context_options(f):
    """Options shared by ``scan`` and ``assess`` (CONTRACT.md)."""
    opts = [
        click.option("--ruleset", default=None,
                     help="Rule set: beijing-ftz-2024, cac-2024 (national baseline), or a path to your own YAML rule "
                          "file (default: cac-2024, or the zone's list with --ftz)."),
        click.option("--ftz", type=click.Choice(["beijing"]), default=None,
                     help="beijing: the exporter states it is registered in the Beijing FTZ, so the Beijing list "
                          "decides (also [exporter] ftz in chujing.toml). Without it the national baseline decides "
                          "and the report shows what the list would decide."),
        click.option("--outside-scope", default=None, metavar="STATEMENT",
                     help="The exporter is outside the sector's scope as the list's notes define it (automotive: "
                          "autonomous_driving; civil_aviation: aircraft_manufacturing, non_civil_aviation; "
                          "pharmaceutical: not_pharmaceutical_manufacturer): the national baseline applies."),
        click.option("--sector", default="other", show_default=True, metavar="SECTOR",
                     help=f"The exporter's sector: {', '.join(SECTORS)} (or one of your own rule file's)."),
        click.option("--scenario", default="other", show_default=True, metavar="SCENARIO",
                     help="The list's scenario (场景); `chujing rules list` shows each sector's."),
        click.option("--subject", default=None, metavar="ROLE",
                     help=f"The data subjects' role, where the list distinguishes roles: {', '.join(SUBJECTS)}."),
        click.option("--modality", type=click.Choice(MODALITIES), default=None, help="AI training data modality."),
        click.option("--ciio", is_flag=True, help="The exporter is a critical information infrastructure operator."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="Report format (default: table on a terminal, json otherwise)."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="Write the report to this file instead of stdout."),
        click.option("--year", type=int, default=None, help="Calendar year counted (default: this year)."),
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                     help="Language of the report, every format (default: [report] lang in chujing.toml, else zh "
                          "under a Chinese locale: LC_ALL, LC_MESSAGES or LANG starting with zh)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def check_writable(output: str) -> None:
    """Refuse an unwritable report path before a long scan, not after it."""

    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        fail(f"{shown(output)}: the folder {shown(folder)} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(output) and not os.access(output, os.W_OK)):
        fail(f"{shown(output)}: not writable")


def emit(report, fmt: str | None, output: str | None, lang: str | None = None) -> None:
    """Write a report as every command does (:func:`scanner.report.emit.write_report`): a table
    on a terminal (fitted to its width), else JSON unless ``fmt`` says; a file that cannot be
    written is one line and exit status 1."""
    from scanner.report.emit import write_report

    if fmt is None:
        fmt = "table" if (output is None and sys.stdout.isatty()) else "json"
    width = None
    if output is None:  # the terminal's width (rich) only matters on stdout
        from scanner.report.terminal import terminal_width

        width = terminal_width()
    try:
        write_report(report, fmt, output, lang, width=width, stdout=lambda text: click.echo(text, nl=False))
    except OSError as exc:
        fail(f"{shown(output)}: cannot write the report ({exc.strerror or 'error'})", EXIT_ERROR)


def report_language(flag: str | None) -> str:
    """The language a command writes in: ``--lang``, else ``[report] lang`` of the chujing.toml
    found here, else the locale (``scan`` merges the whole file; ``plan`` and ``review`` take
    only this from it)."""
    if flag:
        return flag
    from scanner.config import find_config, load_config

    config_file = find_config(None)
    if config_file:
        try:
            lang = load_config(config_file).report.get("lang")
        except ValueError as exc:
            fail(str(exc))
        if lang:
            return lang
    from scanner.report.emit import lang_from_environment

    return lang_from_environment()
