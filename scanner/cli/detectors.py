"""``chujing detectors``: every entity the scanner recognises, with sensitivity and category."""

from __future__ import annotations

import json
import sys

import click


@click.command("detectors")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people, json for scripts.")
@click.option("--detectors", "detector_files", multiple=True, type=click.Path(dir_okay=False),
              help="Also list the detectors declared in this YAML file (repeatable).")
def detectors_command(fmt: str, detector_files: tuple[str, ...]) -> None:
    """List every detector: entity, sensitive or not, category, whether it identifies a person.

    \b
    Example:
        chujing detectors
        chujing detectors --format json --detectors my_ids.yaml
    """
    from detectors.registry import load_detectors

    try:
        detectors = load_detectors(list(detector_files))
    except ValueError as exc:
        click.echo(f"chujing: {exc}", err=True)
        sys.exit(2)
    rows = [
        {
            "entity": d.entity,
            "sensitive": d.sensitive,
            "category": d.category,
            "person_key": d.person_key,
            "header_needed": d.requires_header or (d.pattern is None and d.entity != "FREE_TEXT"),
            "description": d.description,
        }
        for d in sorted(detectors, key=lambda d: (d.category, d.entity))
    ]
    if fmt == "json":
        click.echo(json.dumps({"detectors": rows}, ensure_ascii=False, indent=2))
        return
    # aligned columns that fit the terminal; on a narrow one, each description under its entity
    from scanner.report.terminal import Canvas, terminal_width
    from scanner.report.text import display_width, pad

    table = [[r["entity"], "yes" if r["sensitive"] else "no", r["category"], "yes" if r["person_key"] else "no",
              r["description"]] for r in rows]
    headers = ["entity", "sensitive", "category", "person key", "description"]
    width = terminal_width()
    natural = sum(max(display_width(str(row[i])) for row in [headers, *table]) + 2 for i in range(len(headers)))
    canvas = Canvas(width)
    widths = [max(display_width(str(row[i])) for row in [headers, *table]) for i in range(4)]
    if width is None or natural <= width or sum(w + 2 for w in widths) > width:
        canvas.table(headers, table, keep=(0,), wrap=(1, 2, 3, 4))
    else:
        canvas.line("  ".join(pad(h, w) for h, w in zip(headers, widths, strict=False)))
        canvas.line("    description")
        canvas.line("─" * width)
        for row in table:
            canvas.line("  ".join(pad(str(v), w) for v, w in zip(row, widths, strict=False)))
            canvas.paragraph(row[4], indent=4, hanging=0)
    canvas.line()
    canvas.paragraph(f"{len(rows)} detectors. Sensitive entities make a person's data sensitive (PIPL Art 28); "
                     "add your own with --detectors FILE (see detectors/README.md).", hanging=0)
    click.echo(canvas.text(), nl=False)
