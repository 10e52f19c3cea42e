"""``chujing scan``: a thin layer over :func:`scanner.engines.local.scan`."""

from __future__ import annotations

import sys

import click

from scanner.cli.common import check_writable, context_options, emit, fail, setup_logging, shown
from scanner.cli.progress import progress_reporter
from scanner.report.model import EXIT_BY_PATH, EXIT_ERROR, PATH_ORDER


@click.command(name="scan")
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
@click.option("--not-important", multiple=True, metavar="ITEM",
              help="Dismiss an important-data candidate after review (needs --why; recorded with --who).")
@click.option("--why", default=None, metavar="TEXT",
              help="Why the --not-important items are dismissed (kept in the report for the auditor).")
@click.option("--who", default=None, envvar="CHUJING_REVIEWER",
              help="Who confirms or dismisses with --important/--not-important (default: $CHUJING_REVIEWER, "
                   "else your login name).")
@click.option("--ledger", default=None, type=click.Path(dir_okay=False), envvar="CHUJING_LEDGER",
              help="Year-to-date ledger (SQLite) to read and update (default: $CHUJING_LEDGER, else [scan] ledger "
                   "in chujing.toml; `chujing ledger` reads the same one).")
@click.option("--ledger-key", "ledger_key_file", default=None, type=click.Path(dir_okay=False),
              help="Key file for the ledger's keyed hashes (default: beside the user data dir, or $CHUJING_LEDGER_KEY).")
@click.option("--record", is_flag=True, help="Record this transfer's persons in the ledger.")
@click.option("--transfer-id", default=None, help="Id of the transfer to record. Re-recording the same export under its id changes nothing; "
                   "other files or persons under a recorded id are refused (exit 1): give them a new id.")
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
              help="Exit non-zero only when the verdict is this path or stricter (CI gates); none: exit 0 "
                   "whatever the path (an incomplete scan still exits 1).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and only errors on stderr.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="warning", show_default=True)
@click.option("--log-json", is_flag=True, help="Log as JSON lines on stderr (for schedulers).")
@click.pass_context
def scan_command(ctx: click.Context, **params):
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
    assessment; 30 other legal path; 1 some input could not be scanned; 2 usage error (a path
    that does not exist included); 130 interrupted (Ctrl-C).

    \b
    A folder of 1,000 small files or more is scanned by two processes where the machine has two
    cores (the same report); CHUJING_JOBS=1 keeps one.
    """
    from scanner._allocator import import_pandas_in_main_thread
    from scanner.config import find_config, load_config
    from scanner.engines.local import ScanOptions
    from scanner.engines.local import scan as run_scan
    from scanner.persons.ledger import LedgerError
    from scanner.runtime import fewer_collections
    from scanner.sources.limits import return_freed_memory

    import_pandas_in_main_thread()  # before the scan starts a thread
    p = dict(params)
    return_freed_memory()
    from click.core import ParameterSource

    # --log-json is for schedulers: one line per file at info, unless --log-level says otherwise.
    level = p["log_level"]
    if p["log_json"] and ctx.get_parameter_source("log_level") in (None, ParameterSource.DEFAULT):
        level = "info"
    setup_logging("error" if p["quiet"] else level, p["log_json"])
    report_lang = None
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
        report_lang = config.report.get("lang")
    paths = list(p["paths"])
    if not paths:
        fail("no PATH given and no sources in a chujing.toml (see `chujing scan --help`)")
    check_paths_exist(paths)  # no verdict on nothing: a mistyped path is a usage error
    if p["not_important"] and not (p.get("why") or "").strip():
        fail("--not-important needs --why: a dismissal lowers the verdict, so who and why are recorded "
             "(or record it with `chujing review`)")
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
        from scanner.detect.tables import load_areas

        try:
            load_areas(options.sensitive_areas)
        except ValueError as exc:
            fail(str(exc))
    if p.get("keyless_policy"):
        options.keyless_policy = p["keyless_policy"]
    explicit_output = p["output"] is not None or p["fmt"] is not None
    lang = p["lang"] or report_lang  # --lang, else [report] lang, else the locale (when drawn)
    targets = [(p["fmt"], p["output"], lang)] if explicit_output or not outputs else \
        [(o.format, o.path, p["lang"] or o.lang or report_lang) for o in outputs]
    for _, out, _ in targets:
        if out:
            if not explicit_output:  # chujing.toml's [[outputs]]: the report folder is made on first use
                make_folder(out)
            check_writable(out)
    progress = None if p["quiet"] else progress_reporter(p["log_json"])
    options.progress = progress
    options.spark_master = p.get("spark_master")
    with fewer_collections():  # the report's objects too (see scanner.runtime)
        try:
            if p.get("engine") == "spark":
                from scanner.engines.spark import SparkScanError, scan_spark

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
        record_review(report, p["important"], p["not_important"], p.get("who"), p.get("why"))
        for fmt, out, lang in targets:
            emit(report, fmt, out, lang)
    code = report.exit_code
    fail_on = p["fail_on"]
    if fail_on is not None and code != EXIT_ERROR:
        # --fail-on none: exit 0 whatever the path (an incomplete scan still exits 1).
        code = 0 if fail_on == "none" else \
            EXIT_BY_PATH[report.path] if PATH_ORDER.index(report.path) >= PATH_ORDER.index(fail_on) else 0
    sys.exit(code)


def check_paths_exist(paths: list[str]) -> None:
    """A local path that does not exist, or a pattern that matches nothing, is a usage error
    (exit 2, no report): a verdict of "no path required" on nothing would read as a pass."""
    import glob
    import os

    from scanner.sources.files import display_path

    for raw in paths:
        path = os.fsdecode(raw)
        if "://" in path:
            continue  # URLs are the lake's to check
        if any(ch in path for ch in "*?[") and not os.path.lexists(path):
            if not glob.glob(path, recursive=True):
                fail(f"{display_path(path)}: the pattern matches no file")
            continue
        if not os.path.lexists(path):
            fail(f"{display_path(path)}: no such file or folder")


def make_folder(output: str) -> None:
    import os

    folder = os.path.dirname(os.path.abspath(output))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        fail(f"{shown(output)}: cannot create the folder {shown(folder)} ({exc.strerror or 'error'})")


def record_review(report, important: tuple, not_important: tuple, who: str | None, why: str | None) -> None:
    """Candidates confirmed or dismissed on the command line carry who and why in the report,
    as a decision recorded by `chujing review` does."""
    if not important and not not_important:
        return
    import datetime as _dt
    import getpass

    try:
        who = who or getpass.getuser()
    except Exception:  # no login name in a container
        who = who or "unknown"
    when = _dt.date.today().isoformat()
    for candidate in report.important_data:
        item = candidate.get("item")
        flag = "--not-important" if item in not_important else "--important" if item in important else None
        if flag is None or candidate.get("decision"):
            continue
        candidate["decision"] = {"status": candidate.get("status"), "who": who, "when": when,
                                 "why": (why or "").strip(), "via": flag}


# Config keys that differ from the option names.
def _param_for(key: str) -> str:
    """The ``scan`` parameter a ``[scan]`` key of chujing.toml sets: the ScanOptions field it names
    (scanner.options.CONFIG_KEYS), else the key itself; ``sources`` are the paths."""
    from scanner.options import CONFIG_KEYS

    return "paths" if key == "sources" else (CONFIG_KEYS.get(key, (None, None))[0] or key)


def _merge_config(ctx: click.Context, params: dict, scan_config: dict) -> None:
    """Fill every option the user did not give on the command line from the config file."""
    from click.core import ParameterSource

    for key, value in scan_config.items():
        name = _param_for(key)
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
