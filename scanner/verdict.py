"""Map: from the files' findings and the persons counted to the verdict.

The year to date (with a ledger), important-data candidates (columns and table-level findings),
the user's review, then the rule engine of ``mappings/``; the report carries the result.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from detectors import masked
from mappings import engine
from scanner.options import ScanOptions
from scanner.report.model import PersonsReport, Report, apply_assessment
from scanner.sources.files import Source, content_fingerprint

if TYPE_CHECKING:
    from scanner.persons.counter import PersonCounts

log = logging.getLogger("chujing")


def conclude(report: Report, options: ScanOptions, context: engine.Context, notes: list[dict[str, str]],
             decisions, counter, sources: list[Source]) -> Report:
    """From the files' findings and the persons counted to the verdict: the year to date (with a
    ledger), important-data candidates, the rule engine, notes and decisions. ``counter`` is a
    :class:`~scanner.persons.counter.PersonCounter` or anything with its ``result()`` and
    ``person_table(hasher)`` (the incremental state's and the Spark engine's persons)."""
    counts = counter.result()  # a PersonCounts: the report shows it, the rule engine judges it
    report.persons = persons_report(counts)
    judged = counts.judged()

    if options.ledger is not None or options.record:
        judged = _apply_ledger(report, options, counter, context, sources) or judged

    entities = {e for f in report.files for c in f.columns for e in c.entities}
    entities |= {t["entity"] for f in report.files for t in f.tables if t.get("entity")}
    # Masked identifiers are still personal; sci-notation ones were destroyed by the export.
    for note in masked.notes_for([(f"{f.path}: {c.name}", c.entity, c.samples) for f in report.files
                                  for c in f.columns if c.entity]):
        report.extra.setdefault("notes", []).append(note)
    if context.modality is None and engine.sector_modalities(context):
        inferred = _infer_modality(report, entities)
        if inferred is not None:
            context.modality = inferred
            report.context["modality"] = inferred
            report.extra.setdefault("notes", []).append({
                "zh": f"未指定 --modality：根据数据推断为 {inferred}", "en": f"--modality not given: inferred as {inferred} from the data"})
    # Every column header is evidence for important data (a remote-control or ECU column is not
    # personal, yet it is what automotive.5 names); the entity is given where one was found.
    columns = [(f.path, c.name, c.entity) for f in report.files for c in f.columns]
    candidates = engine.important_candidates(context, columns, counts=judged)
    candidates = _table_candidates(candidates, report, context)
    candidates = _review_candidates(candidates, options, decisions)
    report.important_data = [c.to_dict() for c in candidates]
    assessment = engine.assess(context, judged, entities, candidates)
    apply_assessment(report, assessment)
    report.ruleset = getattr(assessment, "ruleset", None) or report.ruleset
    if notes:
        report.extra.setdefault("notes", [])
        report.extra["notes"] = notes + [n for n in report.extra["notes"] if n not in notes]
    _say_unmatched_person_keys(report, options)
    if decisions is not None:
        from scanner.review.decisions import apply_to_report

        apply_to_report(report, decisions)
    return say_what_was_not_read(report)


def persons_report(counts: PersonCounts) -> PersonsReport:
    """A scan's person counts as its report shows them (the year to date is added beside them)."""
    return PersonsReport(
        personal=counts.personal, sensitive=counts.sensitive, by_subject=dict(counts.by_subject),
        by_entity=dict(counts.by_entity), keyless_rows=counts.keyless_rows,
        keyless_policy=counts.keyless_policy, minors=counts.minors, linking=dict(counts.linking or {}),
    )


def _say_unmatched_person_keys(report: Report, options) -> None:
    """A ``--person-key`` that names no column of any file read (a typo, a header written
    otherwise) links nobody: said in a note, the key shown as reports show column names."""
    from scanner.sources.names import columns_headed, mask_identifiers

    read = [[c.name for c in f.columns] for f in report.files if not f.error]
    for key in getattr(options, "person_keys", None) or []:
        if read and not any(len(columns_headed(key, names)) == 1 for names in read):
            shown = mask_identifiers(key)
            report.extra.setdefault("notes", []).append({
                "zh": f"--person-key {shown} 不是任何已读取文件中的列（或对应多列）：未用它关联任何行",
                "en": f"--person-key {shown} names no column of the files read (or more than one): no row is "
                      f"linked by it"})


def say_what_was_not_read(report: Report) -> Report:
    """The verdict covers what was read: files skipped in the scanned folders and digits Excel
    rounded away are said in a note (both languages), and ``verdict.covers`` is ``files_read``
    when files were skipped."""
    from scanner.sources.excel import LOST_DIGITS

    skipped = report.extra.get("skipped") or []
    notes = report.extra.setdefault("notes", [])
    if skipped:
        report.verdict["covers"] = "files_read"
        shown = ", ".join(s["path"].rsplit("/", 1)[-1] for s in skipped[:5]) + (", …" if len(skipped) > 5 else "")
        notes.append({
            "zh": f"结论仅涵盖已读取的文件：扫描的文件夹中有 {len(skipped)} 个文件或文件夹未读取（{shown}；原因见 skipped）",
            "en": f"The verdict covers only the files read: {len(skipped)} file(s) or folder(s) in the scanned folders "
                  f"were skipped ({shown}; see skipped for the reasons)"})
    lossy = [f"{f.path}: {c.name}" for f in report.files for c in f.columns if LOST_DIGITS in (c.evidence or "")]
    if lossy:
        notes.append({
            "zh": f"精度丢失：{', '.join(lossy)} 中超过 15 位的数字以数值形式保存，Excel 只保留 15 位有效数字，其余已丢失；"
                  "这些值不会被当作有效的标识符计数，请将该列设为文本后重新导出",
            "en": f"Precision lost in {', '.join(lossy)}: numbers longer than 15 digits were stored as numbers and "
                  "Excel kept only 15 significant digits; such values are never counted as valid identifiers "
                  "(re-export the column as text)"})
    if not notes:
        report.extra.pop("notes", None)
    return report


def file_of(source: Source) -> str:
    """The file a source reads: a sheet's workbook (``file.xlsx#sheet`` names the sheet)."""
    return source.reader.file_of(source)


def _infer_modality(report: Report, entities: set[str]) -> str | None:
    """The AI-training modality from the files' own findings, else from the entities seen."""
    found = [t["modality"] for f in report.files for t in f.tables if t.get("kind") == "modality" and t.get("modality")]
    if found:
        rank = ["video", "audio", "image", "text"]  # the strictest reading first
        return min(found, key=lambda m: rank.index(m) if m in rank else len(rank))
    from detectors.media import modality_of

    return modality_of(entities)


def _table_candidates(candidates: list[engine.ImportantCandidate], report: Report,
                      context: engine.Context) -> list[engine.ImportantCandidate]:
    """Table-level findings that point at an important-data item (points inside a sensitive
    area, labelled audio, cockpit-voice media) become candidates of that item, with evidence.
    Which item a finding points at is the rule file's word (``table_findings``); the finding
    names it in the report as ``item_candidate``."""
    by_item = {c.item: c for c in candidates}
    for f in report.files:
        for t in f.tables:
            items = engine.table_finding_items(context, t.get("kind", ""))
            if items:
                t["item_candidate"] = items[0]
            item = t.get("item_candidate")
            if not item or not item.startswith(context.sector + "."):
                continue
            what = t.get("area") or ", ".join(t.get("columns") or []) or t.get("kind", "")
            line = f"{f.path}: {t.get('kind', 'finding')} ({what})"
            rule = f"table:{t.get('kind', 'finding')}"  # the table-level finding that raised it
            if item in by_item:
                if line not in by_item[item].evidence:
                    by_item[item].evidence.append(line)
                if rule not in by_item[item].rules:
                    by_item[item].rules.append(rule)
            else:
                by_item[item] = engine.ImportantCandidate(item=item, evidence=[line], rules=[rule])
    return list(by_item.values())


def _review_candidates(candidates: list[engine.ImportantCandidate], options: ScanOptions,
                       decisions) -> list[engine.ImportantCandidate]:
    """The user's word on important data: flags on this run win over the decisions file."""
    important, not_important = list(options.important), list(options.not_important)
    if decisions is not None:
        flagged = set(important) | set(not_important)
        for c in candidates:
            d = decisions.important(c.item)
            if d is not None and c.item not in flagged:
                (important if d.status == "confirmed" else not_important).append(c.item)
    return engine.apply_review(candidates, important=important, not_important=not_important,
                               ruleset=options.context().deciding_ruleset())


def _apply_ledger(report: Report, options: ScanOptions, counter, context: engine.Context, sources: list[Source]) -> engine.Counts:
    from scanner.persons import ledger as ledger_mod

    ctx = dict(context.to_dict(), ruleset=context.deciding_ruleset())
    year = context.year
    real = {s.display: file_of(s) for s in sources}  # reports show paths masked; the files are at the real ones
    files = [{"path": f.path, "size": f.size_bytes, "rows": f.rows, "fingerprint": file_fingerprint(real.get(f.path, f.path))}
             for f in report.files if f.error is None and f.size_bytes is not None]
    try:
        ledger = ledger_mod.open_ledger(options.ledger, key_file=options.ledger_key_file)
        try:
            if options.record:
                ytd = ledger.record(counter, ctx, year, transfer_id=options.transfer_id, recipient=options.recipient,
                                    purpose=options.purpose, files=files, exempt=options.exempt)
            else:
                ytd = ledger.year_to_date(counter, ctx, year, exempt=options.exempt)
        finally:
            ledger.close()
    except ledger_mod.FAULTS as exc:
        # A damaged, read-only or busy ledger: the scan itself stands and its report is written;
        # the failure is one line (exit status 1) and the verdict rests on this transfer alone.
        message = ledger_mod.fault_message(options.ledger, exc) + "; the verdict rests on this transfer alone"
        log.error(message)
        report.errors.append(message)
        return None
    report.persons.year_to_date = ytd
    every = ytd.get("all_transfers")  # the baseline's count: every export of the year
    return engine.Counts(personal=ytd.get("personal", 0), sensitive=ytd.get("sensitive", 0),
                         by_entity=dict(ytd.get("by_entity", {})), by_subject=dict(ytd.get("by_subject", {})),
                         all_transfers=None if every is None else engine.Counts(
                             personal=every.get("personal", 0), sensitive=every.get("sensitive", 0),
                             by_entity=dict(every.get("by_entity", {})), by_subject=dict(every.get("by_subject", {}))))


def file_fingerprint(path: str) -> str | None:
    """Content fingerprint of a file, as the ledger keeps it: BLAKE2 of its size, first and last MiB."""
    try:
        return content_fingerprint(path, 1 << 20)
    except OSError:
        return None
