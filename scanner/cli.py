"""The ``chujing`` command: a thin layer over :func:`scanner.pipeline.scan`."""

from __future__ import annotations

import json
import logging
import os
import sys

import click

import scanner._allocator  # noqa: F401  (must come before anything that loads pyarrow)
from scanner import __version__
from scanner.report import EXIT_BY_PATH, EXIT_ERROR, EXIT_USAGE, PATH_ORDER

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


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": self.formatTime(record), "level": record.levelname.lower(),
                           "message": record.getMessage()}, ensure_ascii=False)


def setup_logging(level: str = "warning", json_lines: bool = False) -> None:
    logger = logging.getLogger("chujing")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if json_lines else logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(getattr(logging, level.upper(), logging.WARNING))
    logger.propagate = False


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print one line on stderr and exit: user mistakes never show a traceback."""
    click.echo(f"chujing: {message}", err=True)
    sys.exit(code)


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
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Language of the HTML report."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def check_writable(output: str) -> None:
    """Refuse an unwritable report path before a long scan, not after it."""
    import os

    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        fail(f"{output}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(output) and not os.access(output, os.W_OK)):
        fail(f"{output}: not writable")


def emit(report, fmt: str | None, output: str | None, lang: str | None = None) -> None:
    from scanner.render import render_report

    if fmt is None:
        fmt = "table" if (output is None and sys.stdout.isatty()) else "json"
    if lang is None:
        import locale

        lang = "zh" if (locale.getlocale()[0] or "").lower().startswith("zh") else "en"
    text = render_report(report, fmt, lang=lang)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            fail(f"{output}: cannot write the report ({exc.strerror or 'error'})", EXIT_ERROR)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@context_options
@click.option("--person-key", "person_keys", multiple=True, metavar="COLUMN",
              help="A column that identifies a person besides the detected identifiers (repeatable), e.g. member_id.")
@click.option("--not-key", "not_keys", multiple=True, metavar="VALUE",
              help="A placeholder value of your systems that names nobody (repeatable), e.g. 13912345678; "
                   "with [persons] not_keys in chujing.toml. Well-known ones (13800138000, noreply@…) are built in.")
@click.option("--shared-contact-identities", "max_identities", type=click.IntRange(min=1), default=3, show_default=True,
              help="A phone, e-mail or other contact held by more identity documents than this is shared "
                   "(a switchboard, a placeholder) and links no rows.")
@click.option("--sample-rows", type=click.IntRange(min=100), default=5000, show_default=True,
              help="Values per column sampled (spread over the file) to classify columns.")
@click.option("--full", is_flag=True,
              help="Read every row to classify (values thinned evenly to 200,000 per column) and measure each "
                   "column's valid share on every row. Persons are always counted on every row.")
@click.option("--detectors", "detector_files", multiple=True, type=click.Path(dir_okay=False),
              help="A YAML file of your own detectors (repeatable).")
@click.option("--important", multiple=True, metavar="ITEM", help="Confirm an important-data item applies (e.g. automotive.3).")
@click.option("--not-important", multiple=True, metavar="ITEM", help="Dismiss an important-data candidate after review.")
@click.option("--ledger", default=None, type=click.Path(dir_okay=False), help="Year-to-date ledger (SQLite) to read and update.")
@click.option("--ledger-key", "ledger_key_file", default=None, type=click.Path(dir_okay=False),
              help="Key file for the ledger's keyed hashes (default: beside the user data dir, or $CHUJING_LEDGER_KEY).")
@click.option("--record", is_flag=True, help="Record this transfer's persons in the ledger.")
@click.option("--transfer-id", default=None, help="Id of the transfer to record (re-recording the same id changes nothing).")
@click.option("--recipient", default=None, help="Overseas recipient of the transfer.")
@click.option("--purpose", default=None, help="Purpose of the transfer.")
@click.option("--exempt", default=None, help="Exemption under the Provisions (art3, art4, art5_1, art5_2, art5_3, art6): not counted.")
@click.option("--decisions", default=None, type=click.Path(dir_okay=False),
              help="Decisions file (YAML) recorded by `chujing review`: applied before persons are counted.")
@click.option("--sensitive-areas", default=None, type=click.Path(exists=True, dir_okay=False),
              help="GeoJSON polygons (military zones, government sites): points inside are automotive.1 candidates.")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="Project config file (default: ./chujing.toml when present). Flags override it.")
@click.option("--state", default=None, type=click.Path(dir_okay=False),
              help="Incremental state file: unchanged files are not read again, counts stay exact.")
@click.option("--rescan", is_flag=True, help="With --state: read every file again.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Run here, or in Apache Spark (pip install 'chujing[spark]'; see docs/spark.md).")
@click.option("--spark-master", default=None, metavar="URL", help="Spark master for --engine spark (default local[2]).")
@click.option("--fail-on", type=click.Choice(PATH_ORDER), default=None,
              help="Exit non-zero only when the verdict is this path or stricter (CI gates).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and only errors on stderr.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="warning", show_default=True)
@click.option("--log-json", is_flag=True, help="Log as JSON lines on stderr (for schedulers).")
@click.pass_context
def scan(ctx: click.Context, **params):
    """Scan files, folders, globs or Parquet datasets and report what must be done before export.

    \b
    Examples:
      chujing scan exports/owners.csv --sector automotive --scenario after_sales
      chujing scan exports/owners.csv --sector automotive --scenario after_sales --ftz beijing   # in the zone
      chujing scan 'lake/**/*.parquet' --person-key member_id --format md -o review.md
      chujing scan trial.csv --sector pharmaceutical --scenario clinical_trial --subject trial_subject \\
          --ledger ~/chujing.db --record --transfer-id T-2026-07 --recipient "Acme GmbH"
      chujing scan              # a scheduled job: sources and outputs from ./chujing.toml

    \b
    Exit status: 0 no path required; 10 standard contract or certification; 20 security
    assessment; 30 other legal path; 1 some input could not be scanned; 2 usage error.
    """
    from scanner.config import find_config, load_config
    from scanner.ledger import LedgerError
    from scanner.limits import return_freed_memory
    from scanner.pipeline import ScanOptions
    from scanner.pipeline import scan as run_scan

    p = dict(params)
    return_freed_memory()
    setup_logging("error" if p["quiet"] else p["log_level"], p["log_json"])
    outputs = []
    config_file = find_config(p["config_path"])
    if config_file:
        try:
            config = load_config(config_file)
        except ValueError as exc:
            fail(str(exc))
        _merge_config(ctx, p, config.scan)
        _merge_exporter(ctx, p, config.exporter, config_file)
        _merge_persons(ctx, p, config.persons)
        outputs = config.outputs
    paths = list(p["paths"])
    if not paths:
        fail("no PATH given and no sources in a chujing.toml (see `chujing scan --help`)")
    options = ScanOptions(
        ruleset=p["ruleset"], ftz=p["ftz"], outside_scope=p["outside_scope"],
        ftz_source=p.get("ftz_source") or (f"--ftz {p['ftz']}" if p["ftz"] else None), sector=p["sector"], scenario=p["scenario"], subject=p["subject"], modality=p["modality"],
        ciio=p["ciio"], year=p["year"], person_keys=list(p["person_keys"]), subjects=dict(p.get("subjects") or {}),
        not_keys=list(p["not_keys"]), max_identities=p["max_identities"],
        sample_rows=p["sample_rows"], full=p["full"], detector_files=list(p["detector_files"]),
        important=list(p["important"]), not_important=list(p["not_important"]), ledger=p["ledger"],
        ledger_key_file=p["ledger_key_file"], record=p["record"], transfer_id=p["transfer_id"],
        recipient=p["recipient"], purpose=p["purpose"], exempt=p["exempt"], decisions=p["decisions"],
        state=p["state"], rescan=p["rescan"], storage_options=dict(p.get("storage_options") or {}),
        sensitive_areas=p["sensitive_areas"],
    )
    _check_subjects(options)
    if options.sensitive_areas:
        from scanner.tables import load_areas

        try:
            load_areas(options.sensitive_areas)
        except ValueError as exc:
            fail(str(exc))
    if p.get("keyless_policy"):
        options.keyless_policy = p["keyless_policy"]
    explicit_output = p["output"] is not None or p["fmt"] is not None
    targets = [(p["fmt"], p["output"], p["lang"])] if explicit_output or not outputs else \
        [(o.format, o.path, o.lang or p["lang"]) for o in outputs]
    for _, out, _ in targets:
        if out:
            check_writable(out)
    progress = None if p["quiet"] else _progress_reporter(p["log_json"])
    options.progress = progress
    options.spark_master = p.get("spark_master")
    try:
        if p.get("engine") == "spark":
            from scanner.spark_engine import SparkScanError, scan_spark

            try:
                report = scan_spark(paths, options)
            except SparkScanError as exc:
                fail(str(exc), EXIT_ERROR)
        else:
            report = run_scan(paths, options)
    except LedgerError as exc:
        fail(str(exc).splitlines()[0], EXIT_ERROR)
    except (ValueError, LookupError) as exc:  # a bad option value, rule file or detector file
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    finally:
        if progress is not None:
            progress.close()
    for fmt, out, lang in targets:
        emit(report, fmt, out, lang)
    code = report.exit_code
    fail_on = p["fail_on"]
    if fail_on is not None and code != EXIT_ERROR:
        code = EXIT_BY_PATH[report.path] if PATH_ORDER.index(report.path) >= PATH_ORDER.index(fail_on) else 0
    sys.exit(code)


# Config keys that differ from the option names.
_CONFIG_TO_PARAM = {"sources": "paths", "detectors": "detector_files", "ledger_key": "ledger_key_file"}


def _merge_config(ctx: click.Context, params: dict, scan_config: dict) -> None:
    """Fill every option the user did not give on the command line from the config file."""
    from click.core import ParameterSource

    for key, value in scan_config.items():
        name = _CONFIG_TO_PARAM.get(key, key)
        if name in params and ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT):
            continue  # the command line wins
        if name == "paths" and params.get("paths"):
            continue
        params[name] = tuple(value) if isinstance(value, list) else value


def _merge_persons(ctx: click.Context, params: dict, persons: dict) -> None:
    """``[persons]``: placeholders add to those on the command line; the threshold yields to it."""
    from click.core import ParameterSource

    params["not_keys"] = tuple(persons.get("not_keys", ())) + tuple(params.get("not_keys") or ())
    if "shared_contact_identities" in persons and \
            ctx.get_parameter_source("max_identities") in (None, ParameterSource.DEFAULT):
        params["max_identities"] = persons["shared_contact_identities"]


def _check_subjects(options) -> None:
    """Subject roles per file (``[scan.subjects]``) are refused when the sector's list does not
    name them, as ``--subject`` is: an unknown role would be judged as no role at all."""
    from mappings import engine

    try:
        context = options.context()
        sector = engine.reference_list(context).sectors.get(context.sector)
    except (ValueError, LookupError) as exc:
        fail(str(exc).splitlines()[0])
        return
    if sector is None or not sector.subjects:
        return
    for pattern, role in options.subjects.items():
        if role not in sector.subjects:
            fail(f"subject role {role!r} for {pattern}: unknown for {context.sector}: choose {', '.join(sector.subjects)}")


def _merge_exporter(ctx: click.Context, params: dict, exporter: dict, config_file: str) -> None:
    """``[exporter] ftz`` and ``outside_scope``: what the exporter states, unless the command line says."""
    from click.core import ParameterSource

    for key in ("ftz", "outside_scope"):
        if key in exporter and ctx.get_parameter_source(key) in (None, ParameterSource.DEFAULT):
            params[key] = exporter[key]
            if key == "ftz":
                params["ftz_source"] = f"[exporter] ftz = \"{exporter[key]}\" in {config_file}"


class _Progress:
    """Files, rows and MB/s on a terminal (stderr); JSON lines for schedulers; silent otherwise.

    The MB figure is the in-memory size of the rows read so far (close to the text's size for
    CSV); a file's share is capped at its size on disk, so the total never runs ahead."""

    def __init__(self, json_lines: bool):
        import time

        self.json_lines = json_lines
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.rows = 0
        self.bytes_done = 0  # files finished
        self.current_size = 0
        self.current_read = 0
        self.files = (0, 0)
        self._last = 0.0

    def __call__(self, event: dict) -> None:
        import time

        now = time.monotonic()
        if event["event"] == "file":
            self.bytes_done += self.current_size
            self.current_size = event.get("bytes", 0) or 0
            self.current_read = 0
            self.files = (event["index"] + 1, event["total"])
            if self.json_lines:
                logging.getLogger("chujing").info("scanning file %d of %d", *self.files)
        elif event["event"] == "rows":
            self.rows += event["rows"]
            self.current_read += event.get("bytes", 0)
        if self.tty and not self.json_lines and now - self._last > 0.2:
            self._last = now
            elapsed = max(now - self.started, 1e-6)
            mb = (self.bytes_done + min(self.current_read, self.current_size or self.current_read)) / (1 << 20)
            sys.stderr.write(f"\r\033[K  file {self.files[0]}/{self.files[1]}  {self.rows:,} rows  "
                             f"{mb:,.0f} MB  {mb / elapsed:,.1f} MB/s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.tty and not self.json_lines:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _progress_reporter(json_lines: bool) -> _Progress | None:
    return _Progress(json_lines) if (sys.stderr.isatty() or json_lines) else None


def _add_optional_commands() -> None:
    """Commands owned by other modules; each is added when its module is present."""
    for module, attr in (("scanner.cli_rules", "assess_command"), ("scanner.cli_rules", "rules_group"),
                         ("scanner.cli_detectors", "detectors_command"), ("scanner.cli_ledger", "ledger_group"),
                         ("scanner.cli_review", "review_command"),
                         ("scanner.cli_plan", "plan_command"), ("scanner.cli_plan", "redact_command")):
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        main.add_command(getattr(mod, attr))


_add_optional_commands()


def run() -> None:
    """The ``chujing`` command: :func:`main`, then leave at once with its exit status.

    Everything is written, flushed and closed before leaving; what is skipped is the
    interpreter's teardown of native libraries, during which a read-ahead thread of Arrow that
    is still running (a file that failed mid-stream) can abort the process under the jemalloc
    pool ("terminate called without an active exception", 2 runs in 120 under load).
    """
    try:
        main(prog_name="chujing")
        code = 0
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


if __name__ == "__main__":  # pragma: no cover
    run()
