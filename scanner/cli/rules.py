"""``chujing assess`` (the what-if from counts alone) and ``chujing rules list|show|check``.

Thin layers over :mod:`mappings.engine`: everything here is also a Python call away.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from typing import Any

import click

from mappings import engine
from mappings.schema import Item, Ruleset, RulesetError
from scanner.cli.common import emit, fail
from scanner.report.model import EXIT_BY_PATH, PersonsReport, Report, apply_assessment

FORMATS = ["table", "json", "md", "html"]
MODALITIES = ["text", "image", "audio", "video"]



def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, number = value.partition("=")
        if not sep or not key.strip() or not number.strip():
            fail(f"{option} takes NAME=N, not {value!r}")
        pairs[key.strip()] = number.strip()
    return pairs


def _count(text: str, option: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        fail(f"{option}: {text!r} is not a number of persons")
    return value


def _by_subject(values: tuple[str, ...], roles: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """``trial_subject=30000/30000`` -> {"trial_subject": {"personal": 30000, "sensitive": 30000}}.

    ``roles``: the roles the sector's list names; another is refused, as ``--subject`` refuses it."""
    result = {}
    for role, numbers in _pairs(values, "--by-subject").items():
        if roles is not None and role not in roles:
            fail(f"--by-subject {role}: unknown subject role: choose {', '.join(roles) or '(the sector names none)'}")
        personal, _, sensitive = numbers.partition("/")
        p = _count(personal, "--by-subject")
        s = _count(sensitive, "--by-subject") if sensitive else 0
        if s > p:
            fail(f"--by-subject {role}: sensitive {s} exceeds personal {p} (sensitive persons are among the persons)")
        result[role] = {"personal": p, "sensitive": s, "by_entity": {}}
    return result


FTZ_HELP = ("beijing: the exporter states it is registered in the Beijing FTZ, so the Beijing list decides. "
            "Without it (or --ruleset) the national baseline cac-2024 decides and the report shows what the list "
            "would decide.")
OUTSIDE_SCOPE_HELP = ("The exporter is outside the sector's scope as the list's notes define it (automotive: "
                      "autonomous_driving; civil_aviation: aircraft_manufacturing, non_civil_aviation; "
                      "pharmaceutical: not_pharmaceutical_manufacturer): the national baseline applies.")


@click.command("assess")
@click.option("--ruleset", default=None,
              help="Rule set: beijing-ftz-2024, cac-2024 (national baseline), or the path of your own YAML rule file "
                   "(default: cac-2024, or the zone's list with --ftz).")
@click.option("--ftz", type=click.Choice(sorted(engine.FTZ_RULESETS)), default=None, help=FTZ_HELP)
@click.option("--outside-scope", default=None, metavar="STATEMENT", help=OUTSIDE_SCOPE_HELP)
@click.option("--sector", default="other", show_default=True, help="The exporter's sector (see `chujing rules list`).")
@click.option("--scenario", default="other", show_default=True, help="The list's scenario (场景).")
@click.option("--subject", default=None, help="The data subjects' role, where the list distinguishes roles.")
@click.option("--modality", type=click.Choice(MODALITIES), default=None, help="AI training data modality.")
@click.option("--ciio", is_flag=True, help="The exporter is a critical information infrastructure operator.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Report format (default: table on a terminal, json otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report there.")
@click.option("--year", type=int, default=None, help="Calendar year counted (default: this year).")
@click.option("--personal", default=None, metavar="N", help="Distinct persons whose personal information is sent (year to date).")
@click.option("--sensitive", default="0", metavar="N", help="Of them, persons whose sensitive personal information is sent.")
@click.option("--by-entity", multiple=True, metavar="ENTITY=N",
              help="Persons having an entity, e.g. MAC_ADDRESS=200000 (repeatable): items that enumerate types count these.")
@click.option("--by-subject", multiple=True, metavar="ROLE=N[/S]",
              help="Persons (and sensitive persons) of a subject role, e.g. hcp=12000/0 (repeatable).")
@click.option("--important", multiple=True, metavar="ITEM", help="An important-data item that applies (repeatable), e.g. automotive.3.")
@click.option("--not-important", multiple=True, metavar="ITEM", hidden=True, help="Accepted for symmetry with scan.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the report, every format (default: zh under a Chinese locale, else en).")
def assess_command(ruleset, ftz, outside_scope, sector, scenario, subject, modality, ciio, fmt, output, year,
                   personal, sensitive, by_entity, by_subject, important, not_important, lang):
    """Decide the path from counts alone: the what-if before signing a contract (reads no data).

    \b
    Examples:
      chujing assess --sector pharmaceutical --scenario clinical_trial --subject trial_subject \\
          --personal 30000 --sensitive 30000 --ftz beijing
      chujing assess --sector retail_services --scenario member_management --subject member \\
          --personal 600000 --by-entity MAC_ADDRESS=200000 --by-entity CN_RESIDENT_ID=3000
      chujing assess --sector automotive --important automotive.3 --format json

    \b
    Exit status: 0 no path required; 10 standard contract or certification; 20 security
    assessment; 30 other legal path; 2 usage error.
    """
    sensitive_n = _count(sensitive, "--sensitive")
    personal_n = _count(personal, "--personal") if personal is not None else None
    if personal_n is not None and sensitive_n > personal_n:
        fail(f"--sensitive {sensitive_n} exceeds --personal {personal_n}: sensitive persons are among the persons")
    entities = {name: _count(n, "--by-entity") for name, n in _pairs(by_entity, "--by-entity").items()}
    context = engine.Context(ruleset=ruleset, ftz=ftz, outside_scope=outside_scope, sector=sector, scenario=scenario,
                             subject=subject, modality=modality, ciio=ciio, year=year or _dt.date.today().year,
                             ftz_source=f"--ftz {ftz}" if ftz else None)
    try:
        rules = engine.load_ruleset(context.deciding_ruleset())
        reference = engine.reference_list(context, rules)
        sector_rules = reference.sectors.get(sector)
        roles = list(sector_rules.subjects) if sector_rules is not None else None
        sensitive_types = engine.sensitive_entities(reference, sector)
    except (RulesetError, ValueError) as exc:
        fail(str(exc).splitlines()[0])
        return
    subjects = _by_subject(by_subject, roles)
    notes = []
    # Persons having an entity are persons; of a sensitive type, sensitive persons. A number that
    # says otherwise contradicts the others: refused, as --sensitive above --personal is.
    for name, n in entities.items():
        if personal_n is not None and n > personal_n:
            fail(f"--by-entity {name}={n} exceeds --personal {personal_n}: persons having {name} are among the persons")
    for role, c in subjects.items():
        if personal_n is not None and c["personal"] > personal_n:
            fail(f"--by-subject {role}={c['personal']} exceeds --personal {personal_n}")
    if personal_n is not None and sum(c["personal"] for c in subjects.values()) > personal_n:
        fail(f"--by-subject roles add up to {sum(c['personal'] for c in subjects.values())} persons, more than "
              f"--personal {personal_n}: a person has one role here")
    raised = max([sensitive_n, *(n for e, n in entities.items() if e in sensitive_types)])
    if raised > sensitive_n:
        which = ", ".join(f"{e}={n}" for e, n in entities.items() if e in sensitive_types and n > sensitive_n)
        notes.append({"zh": f"--by-entity {which} 属于敏感个人信息：至少 {raised} 人计为敏感个人信息（--sensitive 为 {sensitive_n}）",
                      "en": f"--by-entity {which} is sensitive personal information: at least {raised} persons count "
                            f"as sensitive (--sensitive said {sensitive_n})"})
        sensitive_n = raised
    if personal_n is None:
        personal_n = max([sensitive_n, *entities.values(), sum(c["personal"] for c in subjects.values())])
    counts = engine.Counts(personal=personal_n, sensitive=sensitive_n, by_entity=entities, by_subject=subjects)
    try:
        candidates = engine.apply_review([], important=list(important), not_important=list(not_important),
                                         ruleset=reference)
        assessment = engine.assess(context, counts, set(entities), candidates)
    except (RulesetError, ValueError) as exc:
        fail(str(exc).splitlines()[0])
        return
    report = Report(ruleset=rules.id, context=context.to_dict())
    report.persons = PersonsReport(personal=personal_n, sensitive=sensitive_n, by_entity=dict(entities),
                                   by_subject={r: {k: v for k, v in c.items() if k != "by_entity"}
                                               for r, c in counts.by_subject.items()})
    report.important_data = [c.to_dict() for c in candidates]
    apply_assessment(report, assessment)
    if notes:
        report.extra["notes"] = notes + report.extra.get("notes", [])
    emit(report, fmt, output, lang)
    sys.exit(EXIT_BY_PATH.get(report.path, 0))


# ----------------------------------------------------------------------------- rules


@click.group("rules")
def rules_group():
    """The rule sets and their items, bilingual, with the original text.

    \b
    Examples:
      chujing rules list --sector pharmaceutical
      chujing rules show pharmaceutical.9
      chujing rules check my-ftz-list.yaml
    """


def _load(ruleset: str) -> Ruleset:
    try:
        return engine.load_ruleset(ruleset)
    except RulesetError as exc:
        fail(str(exc).splitlines()[0])
        raise  # unreachable: _fail exits


@rules_group.command("list")
@click.option("--ruleset", default=None, help="One rule set (name or path); default: every shipped rule set.")
@click.option("--sector", default=None, help="Only this sector's items.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table", show_default=True)
def rules_list(ruleset, sector, fmt):
    """Every item: id, path, thresholds and title in Chinese and English."""
    from scanner.report.terminal import Canvas, terminal_width

    names = [ruleset] if ruleset else engine.available_rulesets()
    sets = [_load(name) for name in names]
    if sector and not any(sector in rs.sectors for rs in sets):
        known = sorted({s for rs in sets for s in rs.sectors})
        fail(f"unknown sector {sector!r}: choose {', '.join(known)}")
    if fmt == "json":
        click.echo(json.dumps([{"id": rs.id, "title": rs.title.model_dump(), "baseline": rs.baseline,
                                "items": [_item_summary(i) for i in rs.items if not sector or i.sector == sector]}
                               for rs in sets], ensure_ascii=False, indent=2))
        return
    out = []
    for rs in sets:
        items = [i for i in rs.items if not sector or i.sector == sector]
        if not items:
            continue
        heading = f"{rs.id}: {rs.title.zh} / {rs.title.en}"
        if fmt == "md":
            out.append(f"## {heading}")
        else:
            canvas = Canvas(terminal_width())
            canvas.paragraph(heading)
            out += canvas.text().rstrip("\n").splitlines()
        if rs.baseline:
            out.append(f"  outside the list's scope: {rs.baseline}")
        out.append("")
        rows = [[i.id, i.category, i.path, _thresholds(i), i.title.zh, i.title.en] for i in items]
        headers = ["item", "category", "path", "thresholds", "标题", "title"]
        if fmt == "md":
            out += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            out += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in rows]
        else:
            # aligned columns that fit the terminal, the titles wrapping in theirs
            canvas = Canvas(terminal_width())
            canvas.table(headers, rows, wrap=(1, 2, 3, 4, 5), keep=(0,))
            out += canvas.text().rstrip("\n").splitlines()
        out.append("")
    click.echo("\n".join(out).rstrip())


@rules_group.command("show")
@click.argument("item_id", metavar="ITEM")
@click.option("--ruleset", default=None, help="Rule set (name or path); default: the one that has ITEM.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_show(item_id, ruleset, fmt):
    """One item in full: original Chinese text, English summary, scope, thresholds, evidence words."""
    names = [ruleset] if ruleset else engine.available_rulesets()
    for rs in (_load(name) for name in names):
        try:
            item = rs.item(item_id)
        except KeyError:
            continue
        if fmt == "json":
            click.echo(json.dumps({"ruleset": rs.id, **item.model_dump(exclude_defaults=True)}, ensure_ascii=False, indent=2))
        else:
            click.echo(describe_item(rs, item))
        return
    known = [i.id for name in names for i in _load(name).items]
    near = [k for k in known if k.split(".")[0] == item_id.split(".")[0]] or known[:6]
    fail(f"no item {item_id!r}: e.g. {', '.join(near[:14])}")


@rules_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def rules_check(path):
    """Check your own rule file (e.g. another FTZ's list): says the file, the item and the reason."""
    rs = _load(path)
    counts = {s: len(rs.sector_items(s)) for s in rs.sectors}
    click.echo(f"{path}: {rs.id}: {len(rs.items)} items" + (f" ({', '.join(f'{s} {n}' for s, n in counts.items())})"
                                                          if counts else "") + ": OK")


def _item_summary(item: Item) -> dict[str, Any]:
    return {"id": item.id, "category": item.category, "path": item.path, "thresholds": _thresholds(item) or None,
            "title": item.title.model_dump()}


def _thresholds(item: Item) -> str:
    parts = []
    for clause in item.thresholds:
        what = "/".join(clause.entities) if clause.measure == "entities" else clause.measure
        if clause.modalities:
            what += f" [{'/'.join(clause.modalities)}]"
        parts.append(f"{what} {clause.describe()}")
    return " or ".join(parts)


READINGS = {
    "all": ("所有场景", "all scenarios"),
    "examples": ("包括但不限于", "including but not limited to"),
    "only": ("仅限于", "only"),
    "except_items": ("除…项涉及场景以外", "every scenario except those of"),
}


def describe_item(rs: Ruleset, item: Item) -> str:
    """A bilingual plain-text page for one item."""
    sector = rs.sectors.get(item.sector)
    lines = [f"{item.id}  [{rs.id}]", f"  {item.title.zh}", f"  {item.title.en}", "",
             f"category: {item.category}    path: {item.path}"]
    reading_zh, reading_en = READINGS[item.scenarios.reading]
    scope = item.scenarios.keys or item.scenarios.items
    labels = [f"{k} ({sector.scenarios[k].zh})" if sector and k in sector.scenarios else k for k in scope]
    lines.append(f"scenarios: {reading_en} / {reading_zh}" + (f": {', '.join(labels)}" if labels else ""))
    if item.subjects:
        lines.append("subjects: " + ", ".join(f"{s} ({sector.subjects[s].zh})" if sector else s for s in item.subjects))
    if item.modalities:
        lines.append(f"modalities: {', '.join(item.modalities)}")
    for clause in item.thresholds:
        what = "/".join(clause.entities) if clause.measure == "entities" else clause.measure
        bounds = []
        if clause.min is not None:
            bounds.append(f"{clause.min}人以上 (>= {clause.min})")
        if clause.max is not None:
            bounds.append(f"不满{clause.max}人 (< {clause.max})")
        if clause.min is None:
            bounds.append("no lower bound: one person is enough")
        modal = f" [{'/'.join(clause.modalities)}]" if clause.modalities else ""
        lines.append(f"threshold: {what}{modal}: {'; '.join(bounds)}")
    if item.ciio_any:
        lines.append("also: a CIIO sending any personal information or important data")
    if item.important_data:
        lines.append("also: any important data")
    if item.data_types.zh or item.data_types.en:
        closed = " (closed: other types fall back to the baseline)" if item.data_types.closed else ""
        lines.append(f"data types{closed}: {item.data_types.zh}")
        lines.append(f"            {item.data_types.en}")
        if item.data_types.entities:
            lines.append(f"            entities: {', '.join(item.data_types.entities)}")
        if item.data_types.excludes:
            lines.append(f"            not covered: {', '.join(item.data_types.excludes)}")
    if item.exceptions:
        lines += [f"exception: {item.exceptions.zh}", f"           {item.exceptions.en}"]
    if sector and sector.scope:
        lines += [f"sector scope: {sector.scope.zh}", f"              {sector.scope.en}"]
    lines += ["", "原文 (original text):", f"  {item.text_zh.strip()}", "", "Summary:", f"  {item.summary_en.strip()}"]
    if item.candidates:
        lines += ["", "Important-data evidence (candidates for review):"]
        for number, rule in enumerate(item.candidates, 1):
            need = " AND ".join("[" + ", ".join(group) + "]" for group in rule.all)
            more = f", at least {rule.min_persons} persons" if rule.min_persons else ""
            never = f", never a column of {', '.join(rule.exclude_entities)}" if rule.exclude_entities else ""
            lines.append(f"  - {item.id}#{rule.name or number}: {rule.why.en}: {need}{more}{never}")
    return "\n".join(lines)
