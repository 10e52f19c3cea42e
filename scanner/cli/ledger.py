"""``chujing ledger status|list|show|remove|export``: the year-to-date ledger from the shell.

A thin layer over :mod:`scanner.persons.ledger`; each command is one Python call away::

    from scanner.persons.ledger import open_ledger
    open_ledger("transfers.db").status(2026)
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.common import fail

if TYPE_CHECKING:
    from scanner.persons.ledger import Ledger

EXIT_ERROR = 1
EXIT_USAGE = 2



def _ledger_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--ledger`` and ``--ledger-key`` on the group and on each subcommand (the nearer wins)."""
    f = click.option("--ledger-key", "ledger_key", default=None, type=click.Path(dir_okay=False),
                     help="Key file of the ledger's keyed hashes (default: $CHUJING_LEDGER_KEY, "
                          "$CHUJING_LEDGER_KEY_FILE or the key file in the user config directory).")(f)
    f = click.option("--ledger", "ledger_path", default=None, type=click.Path(dir_okay=False),
                     help="The ledger file (default: $CHUJING_LEDGER, else [scan] ledger in ./chujing.toml, else "
                          "ledger.sqlite in the user data directory: the one `chujing scan --record` writes).")(f)
    return f


def _year_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--year", type=click.IntRange(1900, 9999), default=None,
                        help="Calendar year (default: this year).")(f)


def _format_option(choices: tuple[str, ...] = ("table", "json")) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
                        help="Output format.")


def default_ledger() -> str | None:
    """The ledger `chujing scan` uses when none is named: $CHUJING_LEDGER, else ``[scan] ledger``
    of ./chujing.toml (else None: the user data directory's)."""
    import os

    if os.environ.get("CHUJING_LEDGER"):
        return os.environ["CHUJING_LEDGER"]
    from scanner.config import find_config, load_config

    config_file = find_config(None)
    if not config_file:
        return None
    try:
        return load_config(config_file).scan.get("ledger")
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
        raise  # unreachable


def _open(ctx: click.Context, ledger_path: str | None, ledger_key: str | None) -> Ledger:
    from scanner.persons.ledger import FAULTS, fault_message, open_ledger  # numpy and pyarrow: not for --help

    group = ctx.find_root().params if ctx.parent is None else (ctx.parent.params or {})
    path = ledger_path or group.get("ledger_path") or default_ledger()
    key = ledger_key or group.get("ledger_key")
    try:
        return open_ledger(path, key_file=key)
    except FAULTS as exc:  # a damaged, read-only or busy ledger: one line, never a traceback
        fail(fault_message(path, exc), EXIT_ERROR)
        raise  # unreachable


def _run(ctx: click.Context, ledger_path: str | None, ledger_key: str | None,
         action: Callable[[Ledger], Any]) -> Any:
    from scanner.persons.ledger import FAULTS, fault_message

    ledger = _open(ctx, ledger_path, ledger_key)
    try:
        return action(ledger)
    except FAULTS as exc:
        fail(fault_message(ledger.path, exc), EXIT_ERROR)
    finally:
        ledger.close()


def _this_year(year: int | None) -> int:
    return year if year is not None else _dt.date.today().year


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _table(rows: list[list[Any]], header: list[str], indent: int = 0) -> str:
    """Aligned columns that fit the terminal (cells wrap in their columns; the first never)."""
    from scanner.report.terminal import Canvas, terminal_width

    canvas = Canvas(terminal_width())
    canvas.table(header, [[_cell(c) for c in row] for row in rows], indent=indent, keep=(0,))
    return canvas.text().rstrip("\n")


def _prose(text: str, indent: int = 0) -> str:
    """A sentence wrapped to the terminal."""
    from scanner.report.terminal import Canvas, terminal_width

    canvas = Canvas(terminal_width())
    canvas.paragraph(text, indent=indent)
    return canvas.text().rstrip("\n")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


@click.group("ledger")
@_ledger_options
@click.pass_context
def ledger_group(ctx: click.Context, ledger_path: str | None, ledger_key: str | None) -> None:
    """Year-to-date ledger: the persons already sent abroad since 1 January.

    Transfers are recorded by `chujing scan ... --ledger FILE --record`; the ledger stores
    keyed hashes of the persons' identifiers, never the identifiers.

    \b
    Example:
      chujing ledger --ledger transfers.db status --year 2026
      chujing ledger --ledger transfers.db remove 2026-03-pharma --reason "sent twice by mistake"
    """
    ctx.ensure_object(dict)


@ledger_group.command("status")
@_ledger_options
@_year_option
@click.option("--ruleset", default=None, help="Rule set to measure the headroom against (default: the one each context was recorded under).")
@_format_option()
@click.pass_context
def status_command(ctx: click.Context, ledger_path: str | None, ledger_key: str | None, year: int | None,
                   ruleset: str | None, fmt: str) -> None:
    """Year-to-date persons per context and the headroom to each threshold.

    \b
    Example:
      chujing ledger --ledger transfers.db status --format json
    """
    year = _this_year(year)
    status = _run(ctx, ledger_path, ledger_key, lambda lg: lg.status(year, ruleset=ruleset))
    if fmt == "json":
        _echo_json(status)
        return
    click.echo(f"Year {year}: persons sent abroad since 1 January (de-duplicated)")
    blocks = [(f"{c['sector']} / {c['scenario']} ({c['ruleset']})", c) for c in status["contexts"]]
    blocks.append(("all contexts (national baseline)", status["all_contexts"]))
    for title, c in blocks:
        click.echo("")
        click.echo(_prose(f"{title}: {c['transfers']} transfer(s), {c['personal']:,} persons, "
                          f"{c['sensitive']:,} with sensitive information, {c['minors']:,} under 14"))
        for role, counts in sorted(c["by_subject"].items()):
            click.echo(f"  subject {role}: {counts['personal']:,} persons, {counts['sensitive']:,} sensitive")
        if c["items"]:
            rows = [[i["item"], i["measure"], i["count"], i["threshold"], i["headroom"], i["path"],
                     "yes" if i["triggered"] else "no"] for i in c["items"]]
            click.echo(_table(rows, ["item", "counts", "count", "threshold", "headroom", "path", "reached"], indent=2))
        if c.get("note"):
            click.echo(f"  note: {c['note']}")
    click.echo("")
    click.echo(_prose(HEADROOM))
    click.echo(f"{status['exempt_transfers']} exempt transfer(s) not counted; "
               f"{status['removed_transfers']} removed.")


# What headroom means, here as in every report (mappings.schema.Clause.headroom).
HEADROOM = ("headroom: persons that can still be added this year before the item's judgement changes "
            "(it is reached, or its next threshold is); counts: the persons it counts (personal or sensitive)")


@ledger_group.command("list")
@_ledger_options
@_year_option
@click.option("--all-years", is_flag=True, help="Every year, not only one.")
@_format_option()
@click.pass_context
def list_command(ctx: click.Context, ledger_path: str | None, ledger_key: str | None, year: int | None,
                 all_years: bool, fmt: str) -> None:
    """The recorded transfers, oldest first.

    \b
    Example:
      chujing ledger --ledger transfers.db list --year 2026
    """
    wanted = None if all_years else _this_year(year)
    transfers = _run(ctx, ledger_path, ledger_key, lambda lg: lg.transfers(wanted))
    if fmt == "json":
        _echo_json(transfers)
        return
    if not transfers:
        click.echo("No transfer recorded" + ("" if wanted is None else f" in {wanted}") + ".")
        return
    rows = [[t["id"], t["recorded_at"], t["recipient"], f"{t['sector']}/{t['scenario']}", t["personal"],
             t["sensitive"], t["exempt"], "removed" if t["removed_at"] else ""] for t in transfers]
    click.echo(_table(rows, ["id", "recorded", "recipient", "context", "persons", "sensitive", "exempt", ""]))


@ledger_group.command("show")
@_ledger_options
@click.argument("transfer_id")
@_format_option()
@click.pass_context
def show_command(ctx: click.Context, ledger_path: str | None, ledger_key: str | None, transfer_id: str,
                 fmt: str) -> None:
    """One transfer: context, counts, files and log.

    \b
    Example:
      chujing ledger --ledger transfers.db show 2026-03-pharma
    """
    t = _run(ctx, ledger_path, ledger_key, lambda lg: lg.transfer(transfer_id))
    if fmt == "json":
        _echo_json(t)
        return
    click.echo(f"Transfer {t['id']} (year {t['year']}, recorded {t['recorded_at']})")
    for label, key in (("recipient", "recipient"), ("purpose", "purpose"), ("exempt", "exempt"),
                       ("ruleset", "ruleset"), ("sector", "sector"), ("scenario", "scenario"), ("subject", "subject")):
        click.echo(f"  {label:<10} {_cell(t[key])}")
    counts = t["counts"]
    click.echo(_prose(f"persons    {counts.get('personal', 0):,} ({counts.get('sensitive', 0):,} sensitive, "
                      f"{counts.get('minors', 0):,} under 14, {counts.get('keyless_rows', 0):,} rows without a key: "
                      f"{counts.get('keyless_policy')})", indent=2))
    for entity, n in sorted(counts.get("by_entity", {}).items()):
        click.echo(f"    {entity:<28} {n:,}")
    if t["removed_at"]:
        click.echo(f"  REMOVED    {t['removed_at']}: {_cell(t['removed_reason'])}")
    if t["files"]:
        click.echo("")
        click.echo(_table([[f["path"], f["size"], f["rows"], f["fingerprint"]] for f in t["files"]],
                          ["file", "bytes", "rows", "fingerprint"], indent=2))
    click.echo("")
    for entry in t["log"]:
        click.echo(_prose(f"{entry['at']}  {entry['action']}  {json.dumps(entry['detail'], ensure_ascii=False)}",
                          indent=2))


@ledger_group.command("remove")
@_ledger_options
@click.argument("transfer_id")
@click.option("--reason", required=True, help="Why the transfer is taken out (required; kept in the ledger and its log).")
@_format_option()
@click.pass_context
def remove_command(ctx: click.Context, ledger_path: str | None, ledger_key: str | None, transfer_id: str,
                   reason: str | None, fmt: str) -> None:
    """Take a transfer out of the counts (a correction, logged; the record of it stays).

    \b
    Example:
      chujing ledger --ledger transfers.db remove 2026-03-pharma --reason "never sent"
    """
    if not reason.strip():
        raise click.UsageError("--reason must say why the transfer is taken out")
    result = _run(ctx, ledger_path, ledger_key, lambda lg: lg.remove(transfer_id, reason.strip()))
    if fmt == "json":
        _echo_json(result)
        return
    click.echo(f"Removed transfer {transfer_id} from the counts ({result['removed_at']}).")


@ledger_group.command("export")
@_ledger_options
@_year_option
@_format_option(("json", "csv"))
@click.pass_context
def export_command(ctx: click.Context, ledger_path: str | None, ledger_key: str | None, year: int | None,
                   fmt: str) -> None:
    """Counts only (no hash, no file): the year's status and each transfer's own counts.

    \b
    Example:
      chujing ledger --ledger transfers.db export --year 2026 > ledger-2026.json
    """
    year = _this_year(year)
    data = _run(ctx, ledger_path, ledger_key, lambda lg: lg.export(year))
    if fmt == "json":
        _echo_json(data)
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "year", "recorded_at", "recipient", "purpose", "exempt", "ruleset", "sector", "scenario",
                     "subject", "personal", "sensitive", "rows", "removed_at"])
    for t in data["transfers"]:
        writer.writerow([t["id"], t["year"], t["recorded_at"], t["recipient"], t["purpose"], t["exempt"],
                         t["ruleset"], t["sector"], t["scenario"], t["subject"], t["personal"], t["sensitive"],
                         t["rows"], t["removed_at"]])
    click.echo(out.getvalue(), nl=False)
