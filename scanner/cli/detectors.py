"""``chujing detectors``: every entity the scanner recognises, with sensitivity and category."""

from __future__ import annotations

import json
import sys

import click

from detectors.registry import load_detectors


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
    width = max(len(r["entity"]) for r in rows)
    cat_width = max(len(r["category"]) for r in rows)
    click.echo(f"{'entity'.ljust(width)}  sensitive  {'category'.ljust(cat_width)}  person key  description")
    for r in rows:
        click.echo(f"{r['entity'].ljust(width)}  {('yes' if r['sensitive'] else 'no').ljust(9)}  "
                   f"{r['category'].ljust(cat_width)}  {('yes' if r['person_key'] else 'no').ljust(10)}  {r['description']}")
    click.echo(f"\n{len(rows)} detectors. Sensitive entities make a person's data sensitive (PIPL Art 28); "
               "add your own with --detectors FILE (see detectors/README.md).")
