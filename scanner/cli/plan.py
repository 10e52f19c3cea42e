"""``chujing plan`` and ``chujing redact``: a thin layer over :mod:`scanner.minimise.plan` and :mod:`scanner.minimise.redact`."""

from __future__ import annotations

import dataclasses
import json
import os
import sys

import click

from scanner.cli.common import check_writable, context_options, fail, report_language, setup_logging, shown
from scanner.report.model import EXIT_ERROR, PATH_ORDER

_SCAN_INPUT_OPTIONS = [
    click.option("--person-key", "person_keys", multiple=True, metavar="COLUMN",
                 help="A column that identifies a person besides the detected identifiers (repeatable)."),
    click.option("--sample-rows", type=click.IntRange(min=100), default=5000, show_default=True,
                 help="Values per column sampled (spread over the file) to classify columns."),
    click.option("--full", is_flag=True, help="Read every row to classify (as `chujing scan --full`)."),
    click.option("--detectors", "detector_files", multiple=True, type=click.Path(dir_okay=False),
                 help="A YAML file of your own detectors (repeatable)."),
    click.option("--decisions", default=None, type=click.Path(dir_okay=False),
                 help="Decisions file recorded by `chujing review`, applied as the scan applies it."),
    click.option("--important", multiple=True, metavar="ITEM", help="Confirm an important-data item applies."),
    click.option("--not-important", multiple=True, metavar="ITEM", help="Dismiss an important-data candidate."),
    click.option("--ledger", default=None, type=click.Path(dir_okay=False),
                 help="Year-to-date ledger (read only: a plan never records a transfer)."),
    click.option("--ledger-key", "ledger_key_file", default=None, type=click.Path(dir_okay=False),
                 help="Key file of the ledger."),
]


def _scan_input_options(f):
    for opt in reversed(_SCAN_INPUT_OPTIONS):
        f = opt(f)
    return f


def _options(p: dict):
    """ScanOptions from whatever the shared options are today (the scan's context options evolve)."""
    from scanner.engines.local import ScanOptions

    names = {f.name for f in dataclasses.fields(ScanOptions)}
    kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in p.items() if k in names and v is not None}
    if "ftz" in names and p.get("ftz") and "ftz_source" in names:
        kwargs.setdefault("ftz_source", f"--ftz {p['ftz']}")
    return ScanOptions(**kwargs)


def _shown_header(text: str) -> str:
    from scanner.sources.names import masked_header

    return masked_header(text)


def _changes(drop, generalise, pseudonymise, mask):
    from scanner.minimise.plan import Change

    out = [Change("drop", c) for c in drop]
    for spec in generalise:
        column, sep, rule = spec.rpartition("=")
        if not sep or not column or not rule:
            fail(f"--generalise {_shown_header(spec)!r}: write COLUMN=RULE, e.g. birth_date=year")
        out.append(Change("generalise", column, None, rule))
    out += [Change("pseudonymise", c) for c in pseudonymise]
    out += [Change("mask", c) for c in mask]
    return out


@click.command("plan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@context_options
@_scan_input_options
@click.option("-k", "k", type=click.IntRange(min=2), default=5, show_default=True,
              help="Say where the quasi-identifiers left single out groups of fewer than k persons.")
@click.option("--quasi-identifier", "quasi", multiple=True, metavar="COLUMN",
              help="A column to treat as a quasi-identifier besides the detected ones (dates, postcodes...).")
@click.option("--no-search", is_flag=True, help="Each change alone only: no search for a set reaching a lower path.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def plan_command(paths, k, quasi, no_search, quiet, **params):
    """What each change (drop, generalise, pseudonymise) does to the legal path, with exact counts.

    \b
    For every column holding personal information: the path after dropping it, generalising it
    (birth date → year, address → city, coordinates → 0.1° grid) or pseudonymising it, and a
    minimal set of changes reaching each lower path. Pseudonymised or masked data remains
    personal information (PIPL Art 4 and 73); nothing here is called anonymous.

    \b
    Examples:
      chujing plan exports/ --sector retail_services --scenario member_management
      chujing plan trial.csv --sector pharmaceutical --scenario clinical_trial --format json -o plan.json
      chujing redact exports/ -o redacted/ --plan plan.json --key ~/.chujing/pseudonym.key

    \b
    Exit status: 0 the plan is complete; 1 some input could not be read; 2 usage error.
    """
    from scanner._allocator import import_pandas_in_main_thread
    from scanner.minimise.plan import PlanError, plan
    from scanner.minimise.plan_render import render_plan

    import_pandas_in_main_thread()  # before the scans start a thread
    setup_logging("error" if quiet else "warning")
    if not paths:
        fail("no PATH given (see `chujing plan --help`)")
    for path in paths:
        if "://" not in path and not os.path.exists(path) and not any(ch in path for ch in "*?["):
            fail(f"{shown(path)}: no such file or folder")
    if params.get("output"):
        check_writable(params["output"])
    lang = report_language(params.get("lang"))  # before the plan's scans: a broken chujing.toml fails first
    options = _options(params)
    try:
        result = plan(paths, options, k=k, search=not no_search, quasi_identifiers=quasi)
    except (PlanError, ValueError, LookupError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    fmt = params.get("fmt") or ("table" if (params.get("output") is None and sys.stdout.isatty()) else "json")
    if fmt == "table" and not params.get("output"):
        from scanner.report.terminal import terminal_width

        text = render_plan(result, fmt, lang=lang, width=terminal_width())
    else:
        text = render_plan(result, fmt, lang=lang)
    if params.get("output"):
        try:
            with open(params["output"], "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            fail(f"{shown(params['output'])}: cannot write the plan ({exc.strerror or 'error'})", EXIT_ERROR)
    else:
        click.echo(text)
    sys.exit(EXIT_ERROR if result.baseline.report.errors else 0)


def _without_report_options(f):
    """The scan's context options, less the report's own (-o is the output folder here)."""
    f.__click_params__ = [p for p in f.__click_params__ if p.name not in ("output", "fmt", "lang")]
    return f


@click.command("redact")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--out-dir", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the copies, the manifest and the decisions file into.")
@click.option("--drop", multiple=True, metavar="COLUMN", help="Leave the column out (repeatable).")
@click.option("--generalise", "--generalize", "generalise", multiple=True, metavar="COLUMN=RULE",
              help="Generalise a column: year, month (dates), city, province (addresses), grid[:STEP] (coordinates), band (ages).")
@click.option("--pseudonymise", "--pseudonymize", "pseudonymise", multiple=True, metavar="COLUMN",
              help="Replace each value by its keyed pseudonym (the same in every file and run with the same key).")
@click.option("--mask", multiple=True, metavar="COLUMN", help="Hide the middle of each value (repeatable).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False), default=None,
              help="Pseudonym key file (hex); created with mode 0600 when it does not exist.")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Apply a plan (`chujing plan --format json`): the set reaching --target.")
@click.option("--target", type=click.Choice(PATH_ORDER), default=None,
              help="With --plan: the path whose set to apply (default: the lowest the plan reaches).")
@click.option("--no-assess", is_flag=True, help="Write the copies without deciding the path before and after.")
@click.option("--overwrite", is_flag=True, help="Replace copies already in the output folder.")
@_without_report_options
@context_options
@_scan_input_options
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
def redact_command(paths, out_dir, drop, generalise, pseudonymise, mask, key_file, plan_file, target, no_assess,
                   overwrite, quiet, **params):
    """Write de-identified copies (CSV/Parquet, same format and encoding), with a manifest.

    \b
    Beside the copies: chujing-manifest.json / .md (what was done to which column, the rule set,
    the path before and after, fingerprints of every input and output) and chujing-decisions.yaml
    (rescan the copies with it: pseudonymised and generalised columns are still personal
    information and are counted so).

    \b
    Examples:
      chujing redact members.csv -o out/ --drop password_hash --generalise birthday=year \\
          --pseudonymise mobile --key ~/.chujing/pseudonym.key --sector retail_services --scenario member_management
      chujing redact exports/ -o out/ --plan plan.json --target none --key pseudonym.key
      chujing scan out/ --decisions out/chujing-decisions.yaml --sector retail_services

    \b
    Exit status: 0 every copy written; 1 some input could not be redacted; 2 usage error.
    """
    from scanner._allocator import import_pandas_in_main_thread
    from scanner.minimise.deid import RuleError, load_or_create_key
    from scanner.minimise.plan import Change, PlanError
    from scanner.minimise.redact import RedactError, redact

    import_pandas_in_main_thread()  # before the copies are written by threads
    setup_logging("error" if quiet else "warning")
    if not paths:
        fail("no PATH given (see `chujing redact --help`)")
    for path in paths:
        if "://" not in path and not os.path.exists(path) and not any(ch in path for ch in "*?["):
            fail(f"{shown(path)}: no such file or folder")
    try:
        changes = _changes(drop, generalise, pseudonymise, mask)
        if plan_file:
            changes += _changes_from_plan(plan_file, target, Change)
    except (PlanError, RuleError) as exc:
        fail(str(exc))
    if not changes:
        fail("no change given: --drop, --generalise, --pseudonymise, --mask or --plan")
    key = None
    if any(c.action == "pseudonymise" for c in changes):
        if not key_file:
            fail("pseudonymising needs a key: --key KEYFILE (created with mode 0600 when it does not exist)")
        try:
            key = load_or_create_key(key_file)
        except (OSError, ValueError) as exc:
            fail(str(exc) if isinstance(exc, ValueError) else f"{shown(key_file)}: cannot create the key file ({exc.strerror})")
    options = _options(params)
    try:
        manifest = redact(paths, out_dir, changes, key=key, options=options, assess=not no_assess, overwrite=overwrite)
    except (PlanError, RedactError, RuleError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{shown(out_dir)}: cannot write ({exc.strerror or type(exc).__name__})", EXIT_ERROR)
    except (ValueError, LookupError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    for message in manifest.errors:
        click.echo(f"chujing: {message}", err=True)
    written = [f for f in manifest.files if f.output]
    before = manifest.before["path"] if manifest.before else "not assessed"
    after = manifest.after["path"] if manifest.after else "not assessed"
    if not quiet:
        click.echo(f"{len(written)} file(s) written to {shown(out_dir)}; path before: {before}, after: {after}")
        click.echo(f"manifest: {shown(os.path.join(out_dir, 'chujing-manifest.json'))} (and .md); rescan with "
                   f"--decisions {shown(os.path.join(out_dir, 'chujing-decisions.yaml'))}")
    sys.exit(EXIT_ERROR if manifest.errors else 0)


def _changes_from_plan(plan_file: str, target: str | None, change_cls) -> list:
    from scanner.minimise.plan import PlanError

    try:
        with open(plan_file, encoding="utf-8") as fh:
            data = json.load(fh)
        entries = data["plan"]
    except (OSError, ValueError, KeyError, TypeError):
        raise PlanError(f"{shown(plan_file)}: not a plan (write one with `chujing plan --format json -o FILE`)") from None
    sets = [e for e in entries if isinstance(e, dict) and e.get("kind") == "set" and e.get("reached")]
    if target is not None:
        sets = [s for s in sets if s.get("target") == target]
    if not sets:
        raise PlanError(f"{shown(plan_file)}: the plan has no set of changes reaching {target or 'a lower path'}")
    chosen = min(sets, key=lambda s: PATH_ORDER.index(s["path"]) if s["path"] in PATH_ORDER else 99)
    return [change_cls.from_dict(c) for c in chosen["changes"]]
