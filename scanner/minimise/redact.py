"""De-identified copies of an export: the changes of a plan, written file by file, streaming.

``redact(paths, out_dir, changes, key=...)`` writes each input again under ``out_dir`` in its own
format: CSV/TSV with the same encoding (GB18030, UTF-8 with or without BOM...), delimiter and
compression; Parquet with the same compression. One record batch is in memory at a time.

Beside the copies it writes:

- ``chujing-manifest.json`` (and ``chujing-manifest.md`` for people): what was done to which
  column, the rule set and context, the path before and after (the plan's exact counts), and a
  BLAKE2b-256 fingerprint of every input and output file;
- ``chujing-decisions.yaml``: the columns left in the copies that are still personal
  information although a detector could no longer tell (pseudonyms, generalised values), as
  review decisions, so that ``chujing scan OUTDIR --decisions OUTDIR/chujing-decisions.yaml``
  counts them as the plan did.

No value of a dropped, masked or pseudonymised column is written anywhere: not in the copies,
the manifest, the decisions or an error message. The pseudonym key stays in its key file.
"""

from __future__ import annotations

import bz2
import codecs
import datetime as _dt
import gzip
import hashlib
import json
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scanner.detect.columns import classify_columns
from scanner.engines import local as pl
from scanner.minimise import deid
from scanner.minimise.plan import LAW, Change, Engine, PlanError, plan_entry, resolve_columns
from scanner.options import ScanOptions
from scanner.report.model import Report
from scanner.sources.files import Source, SourceError, describe_read_error, display_path, open_source
from scanner.sources.names import masked_header, shows_masked
from scanner.sources.sample import read_sample
from scanner.version import __version__

MANIFEST = "chujing-manifest.json"
MANIFEST_MD = "chujing-manifest.md"
DECISIONS = "chujing-decisions.yaml"
SCHEMA = "chujing.redaction/1"
_CHUNK = 8 << 20


class RedactError(ValueError):
    """An input that cannot be redacted, or an output that cannot be written (one line)."""


@dataclass
class FileResult:
    input: str
    output: str | None = None
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    compression: str | None = None
    rows: int = 0
    columns_before: list[str] = field(default_factory=list)
    columns_after: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    input_fingerprint: str | None = None
    output_fingerprint: str | None = None
    error: str | None = None
    # The copy's path under the output folder, as shown (for the decisions file; not in the manifest).
    relative: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "relative"}


@dataclass
class Manifest:
    out_dir: str
    changes: list[Change]
    files: list[FileResult]
    context: dict[str, Any]
    ruleset: str
    key_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    notes: list[dict[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{f.input}: {f.error}" for f in self.files if f.error]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "chujing", "version": __version__},
            "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
            "ruleset": self.ruleset,
            "context": self.context,
            "changes": [c.to_dict() for c in self.changes],
            "pseudonym_key": {"key_id": self.key_id, "algorithm": "keyed BLAKE2b-96 over entity + canonical value"}
            if self.key_id else None,
            "files": [f.to_dict() for f in self.files],
            "path_before": self.before["path"] if self.before else None,
            "path_after": self.after["path"] if self.after else None,
            "before": self.before,
            "after": self.after,
            "decisions": DECISIONS,
            "law": [LAW["pseudonymised"], LAW["minors"], LAW["k"]],
            "notes": self.notes,
            "errors": self.errors,
        }


# --- writers ------------------------------------------------------------------------------------

class _HashingFile:
    """A write-only file that fingerprints the bytes as they reach the disk."""

    def __init__(self, path: Path):
        self._fh = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.hash = hashlib.blake2b(digest_size=32)
        self.closed = False

    def write(self, data) -> int:
        self.hash.update(data)
        return self._fh.write(data)

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
            self.closed = True

    def writable(self) -> bool:
        return True


class _Transcoder:
    """UTF-8 in (Arrow's CSV writer), the input's encoding out."""

    def __init__(self, raw, encoding: str):
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._encoder = codecs.getincrementalencoder(encoding)()
        self.closed = False

    def write(self, data) -> int:
        self._raw.write(self._encoder.encode(self._decoder.decode(bytes(data))))
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        if not self.closed:
            self._raw.write(self._encoder.encode(self._decoder.decode(b"", final=True), final=True))
            self._raw.close()
            self.closed = True

    def writable(self) -> bool:
        return True


def _compressed(raw: _HashingFile, compression: str | None):
    if compression is None:
        return raw
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
    if compression == "bz2":
        return bz2.BZ2File(raw, mode="wb")
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().stream_writer(raw, closefd=True)
    raise RedactError(f"cannot write {compression} compression")


class _CsvOut:
    def __init__(self, path: Path, schema: pa.Schema, encoding: str | None, delimiter: str | None,
                 compression: str | None):
        self.raw = _HashingFile(path)
        self.stack = _compressed(self.raw, compression)
        enc = (encoding or "utf-8").lower()
        if enc == "utf-8-sig":
            self.stack.write(codecs.BOM_UTF8)
            enc = "utf-8"
        elif enc in ("utf-16", "utf-16-le", "utf-16-be"):
            self.stack.write(codecs.BOM_UTF16_LE)
            enc = "utf-16-le"
        sink = self.stack if enc in ("utf-8", "utf8", "ascii") else _Transcoder(self.stack, enc)
        self.sink = sink
        self.writer = pacsv.CSVWriter(sink, schema, write_options=pacsv.WriteOptions(
            include_header=True, delimiter=delimiter or ",", quoting_style="needed"))

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)

    def close(self) -> str:
        self.writer.close()
        for f in (self.sink, self.stack, self.raw):
            f.close()
        return "blake2b-256:" + self.raw.hash.hexdigest()


class _ParquetOut:
    def __init__(self, path: Path, schema: pa.Schema, compression: str | None):
        self.path = path
        self.writer = pq.ParquetWriter(path, schema, compression=compression or "snappy")

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)

    def close(self) -> str:
        self.writer.close()
        return fingerprint(self.path)


def fingerprint(path: str | os.PathLike) -> str:
    """BLAKE2b-256 of a file's whole content."""
    h = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return "blake2b-256:" + h.hexdigest()


def _parquet_compression(path: str) -> str | None:
    try:
        meta = pq.ParquetFile(path).metadata
        if meta.num_row_groups and meta.num_columns:
            codec = meta.row_group(0).column(0).compression
            return None if codec == "UNCOMPRESSED" else codec.lower()
    except (OSError, pa.ArrowException):
        pass
    return "snappy"


# --- the columns ----------------------------------------------------------------------------------

@dataclass
class _ColumnWork:
    change: Change
    entity: str | None
    detector: Any = None


class _Done:
    """A result already computed, with the shape of a future."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


class _FileRedactor:
    """The changes that apply to one file, applied to each of its batches."""

    def __init__(self, display: str, schema: pa.Schema, changes: list[Change], entities: dict[str, str | None],
                 detectors: dict[str, Any], pseudonymiser: deid.Pseudonymiser | None):
        self.work: dict[str, _ColumnWork] = {}
        for f in schema:
            for ch in changes:
                if ch.matches(display, f.name):
                    entity = entities.get(f.name)
                    self.work[f.name] = _ColumnWork(ch, entity, detectors.get(entity or ""))
                    if ch.action == "generalise":
                        deid.check_rule_fits(ch.rule or "", f.type)
        if any(w.change.action == "pseudonymise" for w in self.work.values()) and pseudonymiser is None:
            raise RedactError("pseudonymising needs a key: --key KEYFILE (created when it does not exist)")
        self.pseudonymiser = pseudonymiser
        self.names = [f.name for f in schema if not (f.name in self.work and self.work[f.name].change.action == "drop")]
        self.emptied: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)), thread_name_prefix="chujing-redact")

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The batch with the changes applied. The columns are changed side by side in worker
        threads: Arrow kernels release the GIL, so a generalisation runs while the keyed
        hash of another column runs its Python loop."""
        jobs = {}
        for name in self.names:
            w = self.work.get(name)
            if w is not None:
                col = batch.column(batch.schema.get_field_index(name))
                jobs[name] = self._pool.submit(self._change, name, w, col) if len(self.work) > 1 else \
                    _Done(self._change(name, w, col))
        arrays = [jobs[name].result() if name in jobs else batch.column(batch.schema.get_field_index(name))
                  for name in self.names]
        return pa.RecordBatch.from_arrays(arrays, names=self.names)

    def _change(self, name: str, w: _ColumnWork, col: pa.Array) -> pa.Array:
        action = w.change.action
        if action == "generalise":
            new = deid.generalise(col, w.change.rule or "")
            lost = int(pa.compute.sum(pa.compute.and_(col.is_valid(), new.is_null())).as_py() or 0)
            with self._lock:
                self.emptied[name] = self.emptied.get(name, 0) + lost
            return new
        if action == "pseudonymise":
            return self.pseudonymiser.pseudonymise(col, w.entity or "VALUE", w.detector)
        if action == "mask":
            return deid.mask(col)
        return col

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def out_schema(self, schema: pa.Schema) -> pa.Schema:
        return self.apply(pa.RecordBatch.from_pylist([], schema=schema)).schema

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for name, w in self.work.items():
            d = {**w.change.to_dict(), "column": name, "entity": w.entity}
            if name in self.emptied:
                d["values_emptied"] = self.emptied[name]  # values the rule could not generalise
            if w.change.action in ("pseudonymise", "mask"):
                d["still_personal_information"] = True
            out.append(d)
        return out


def _relative_outputs(sources: list[Source]) -> dict[str, str]:
    """Each input's path under the output folder: relative to the deepest folder holding all."""
    paths = [os.path.abspath(s.path) for s in sources]
    if not paths:
        return {}
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    return {s.path: os.path.relpath(p, root) for s, p in zip(sources, paths, strict=True)}


def _hash_in_background(path: str) -> tuple[threading.Thread, dict[str, str]]:
    box: dict[str, str] = {}

    def run() -> None:
        try:
            box["fingerprint"] = fingerprint(path)
        except OSError:
            box["fingerprint"] = ""

    t = threading.Thread(target=run, name="chujing-fingerprint", daemon=True)
    t.start()
    return t, box


def redact_file(source: Source, target: Path, changes: list[Change], entities: dict[str, str | None],
                detectors: dict[str, Any], pseudonymiser: deid.Pseudonymiser | None, block_size: int) -> FileResult:
    result = FileResult(input=source.display, compression=source.compression)
    if source.reader.redacted_as is None:
        raise RedactError(f"{source.kind} inputs are not redacted (CSV, TSV and Parquet are)")
    stream = open_source(source, block_size=block_size)
    result.format, result.encoding, result.delimiter = stream.format, stream.encoding, stream.delimiter
    result.columns_before = list(stream.schema.names)
    redactor = _FileRedactor(source.display, stream.schema, changes, entities, detectors, pseudonymiser)
    out_schema = redactor.out_schema(stream.schema)
    result.columns_after = list(out_schema.names)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    hasher, box = _hash_in_background(source.path)
    if source.reader.redacted_as == "parquet":
        out = _ParquetOut(partial, out_schema, _parquet_compression(source.path))
    else:
        out = _CsvOut(partial, out_schema, stream.encoding, stream.delimiter, source.compression)
    # The changes run here (the keyed hash is Python) while a writer thread writes the batch
    # before (Arrow's writers release the GIL): both cores work; two batches at most in memory.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chujing-write")
    pending = None
    try:
        for batch in stream.batches:
            result.rows += batch.num_rows
            redacted = redactor.apply(batch)
            if redacted.schema != out_schema:
                redacted = redacted.cast(out_schema)
            if pending is not None:
                pending.result()
            pending = writer.submit(out.write, redacted)
        if pending is not None:
            pending.result()
        result.output_fingerprint = out.close()
        os.replace(partial, target)
    except BaseException:
        try:
            out.close()
        except Exception:  # noqa: BLE001 - the first failure is the one to tell
            pass
        partial.unlink(missing_ok=True)
        raise
    finally:
        writer.shutdown(wait=True, cancel_futures=True)
        redactor.close()
        close = getattr(stream.batches, "close", None)
        if close:
            close()
    hasher.join()
    result.input_fingerprint = "blake2b-256:" + box["fingerprint"].split(":")[-1] if box.get("fingerprint") else None
    result.output = display_path(os.fspath(target))
    result.changes = redactor.summary()
    # Columns are read under their reported names, so a copy's header never holds a person's
    # name or an identifier (a rota's 韩晓建 is written 韩**): a change the manifest states.
    masked = [n for n in result.columns_after if shows_masked(n)]
    if masked:
        result.changes.append({"action": "header_masked", "columns": masked,
                               "why": "the header named a person or held an identifier"})
    return result


# --- the whole run ----------------------------------------------------------------------------------

def redact(paths: Iterable[str | os.PathLike], out_dir: str | os.PathLike, changes: list[Change],
           key: bytes | None = None, options: ScanOptions | None = None, assess: bool = True,
           overwrite: bool = False, **kwargs: Any) -> Manifest:
    """Write de-identified copies of ``paths`` under ``out_dir``, with the manifest and the
    decisions file beside them (see the module docstring)."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    options = options or ScanOptions(**kwargs)
    if not changes:
        raise PlanError("no change given: --drop, --generalise, --pseudonymise, --mask or --plan")
    out = Path(out_dir)
    pseudonymiser = deid.Pseudonymiser(key) if key is not None else None
    engine = None
    before = after = None
    if assess:
        engine = Engine(paths, options, also=[tuple(changes)])
        changes = list(engine.also[0].changes)  # on the columns as reported (a raw header resolved)
        sources = [m.source for m in engine.models]
        entities = {m.source.path: {n: c.entity for n, c in m.classifications.items()} for m in engine.models}
        detectors = engine.by_entity
        outcome = engine.also[0]
        before = plan_entry("before", engine.baseline, engine.baseline)
        after = plan_entry("after", outcome, engine.baseline)
        context, ruleset = engine.baseline.report.context, engine.baseline.report.ruleset
        skipped = [f for f in engine.skeleton.files if f.error]
    else:
        skeleton = Report(ruleset=options.ruleset, context=options.context().to_dict())
        sources = pl.discover_inputs(skeleton, paths, options)
        detector_list = options.detectors or pl.load_detectors(options.detector_files)
        detectors = {d.entity: d for d in detector_list}
        changes = _check_columns(sources, changes, options)
        wanted = {c.column for c in changes if c.action == "pseudonymise"}
        entities = {s.path: _classify_only(s, options, detector_list, wanted) for s in sources} if wanted else {}
        context, ruleset = skeleton.context, skeleton.ruleset
        skipped = [f for f in skeleton.files if f.error]
    targets = _relative_outputs(sources)
    for s in sources:
        t = out / targets[s.path]
        if t.exists() and os.path.samefile(t, s.path):
            raise RedactError(f"{display_path(out)}: the output folder would overwrite the input {s.display}")
        if t.exists() and not overwrite:
            raise RedactError(f"{display_path(t)}: already exists (use --overwrite to replace it)")
    out.mkdir(parents=True, exist_ok=True)
    results = [FileResult(input=f.path, error=f.error) for f in skipped]
    for s in sources:
        try:
            results.append(redact_file(s, out / targets[s.path], changes, entities.get(s.path, {}), detectors,
                                       pseudonymiser, options.block_size))
            results[-1].relative = display_path(targets[s.path].replace(os.sep, "/"))
        except RedactError as exc:
            results.append(FileResult(input=s.display, error=str(exc)))
        except SourceError as exc:
            results.append(FileResult(input=s.display, error=str(exc).removeprefix(f"{s.display}: ")))
        except (pa.ArrowException, OSError, UnicodeError, EOFError, ValueError, MemoryError) as exc:
            results.append(FileResult(input=s.display, error=describe_read_error(exc)))
    manifest = Manifest(out_dir=display_path(os.fspath(out)), changes=list(changes), files=results, context=context, ruleset=ruleset,
                        key_id=pseudonymiser.key_id if pseudonymiser else None, before=before, after=after)
    if after and after.get("persons", {}).get("minors"):
        manifest.notes.append(LAW["minors"])
    if any(c.action == "mask" for c in changes):
        manifest.notes.append({
            "en": "Masked columns are counted as the persons their original values identify (the same persons' "
                  "information); a scan of the copy alone cannot link masked values.",
            "zh": "掩码列按其原值所识别的人计数（仍是同一批人的信息）；仅扫描副本无法关联掩码后的值。"})
    write_manifest(manifest, out, targets, entities)
    return manifest


def _classify_only(source: Source, options: ScanOptions, detectors: list, columns: set[str]) -> dict[str, str | None]:
    """The entity of each column to pseudonymise (for its canonical form), from the scan's sample."""
    try:
        sample, meta = read_sample(source, options)
        names = [n for n in meta.schema.names if n in columns]
        if not names:
            return {}
        sample = sample.select(names)
        _, classifications = classify_columns(sample.schema, sample, detectors, options)
    except (SourceError, pa.ArrowException, OSError, UnicodeError, ValueError):
        return {}
    return {n: c.entity for n, c in classifications.items()}


def _check_columns(sources: list[Source], changes: list[Change], options: ScanOptions) -> list[Change]:
    """The changes on the columns as reported (:func:`resolve_columns`), each naming a column."""
    names: list[tuple[str, str]] = []
    for s in sources:
        try:
            stream = open_source(s, block_size=options.block_size)
        except (SourceError, pa.ArrowException, OSError, UnicodeError, ValueError):
            continue
        names += [(s.display, n) for n in stream.schema.names]
        close = getattr(stream.batches, "close", None)
        if close:
            close()
    changes = resolve_columns(changes, names)
    for ch in changes:
        if not any(ch.matches(f, n) for f, n in names):
            where = f" of {display_path(ch.file)}" if ch.file else ""
            raise PlanError(f"no column {masked_header(ch.column)!r}{where} in the inputs")
    return changes


def write_manifest(manifest: Manifest, out: Path, targets: dict[str, str], entities) -> None:
    """The manifest (JSON and Markdown) and the decisions file, beside the copies."""
    data = manifest.to_dict()
    (out / MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / MANIFEST_MD).write_text(render_manifest_md(data), encoding="utf-8")
    (out / DECISIONS).write_text(_decisions_yaml(manifest), encoding="utf-8")


def _decisions_yaml(manifest: Manifest) -> str:
    import yaml

    today = _dt.date.today().isoformat()
    columns = []
    for f in manifest.files:
        if not f.output or not f.relative:
            continue
        rel = f.relative  # as shown: a decision's file matches the masked path as well as the real one
        for ch in f.changes:
            entity = ch.get("entity")
            if not entity or ch["action"] == "drop":
                continue
            if ch["action"] == "mask":
                continue  # masked values are not keys: the scan's own reading stands
            what = "pseudonymised" if ch["action"] == "pseudonymise" else f"generalised ({ch.get('rule')})"
            columns.append({"file": rel, "column": ch["column"], "action": "override", "entity": entity,
                            "who": "chujing redact", "when": today,
                            "why": f"{what} {entity}: still personal information (PIPL Art 4, 73)"})
    columns.sort(key=lambda d: (d["file"], d["column"]))
    return yaml.safe_dump({"version": 1, "columns": columns, "important": []}, allow_unicode=True, sort_keys=False)


def render_manifest_md(data: dict[str, Any]) -> str:
    lines = ["# chujing redaction manifest", "",
             f"- created: {data['created']} by chujing {data['tool']['version']}",
             f"- rule set: `{data['ruleset']}`, context: "
             + ", ".join(f"{k}={v}" for k, v in data["context"].items() if v not in (None, False)),
             f"- path before: **{data['path_before'] or 'not assessed'}**, after: **{data['path_after'] or 'not assessed'}**"]
    if data.get("pseudonym_key"):
        lines.append(f"- pseudonym key check value: `{data['pseudonym_key']['key_id']}` (the key itself is not here)")
    for side in ("before", "after"):
        d = data.get(side)
        if d:
            p = d["persons"]
            lines.append(f"- persons {side}: {p['personal']:,} personal, {p['sensitive']:,} sensitive; items: "
                         + (", ".join(d["items"]) or "none"))
    lines += ["", "## Changes", "", "| file | column | entity | change |", "|---|---|---|---|"]
    for f in data["files"]:
        for ch in f.get("changes") or []:
            if ch["action"] == "header_masked":
                lines.append(f"| {f['input']} | {', '.join(ch['columns'])} | | header written masked: {ch['why']} |")
                continue
            how = ch["action"] + (f" → {ch['rule']}" if ch.get("rule") else "")
            if ch.get("values_emptied"):
                how += f" ({ch['values_emptied']:,} values could not be generalised and were emptied)"
            lines.append(f"| {f['input']} | {ch['column']} | {ch.get('entity') or ''} | {how} |")
    lines += ["", "## Files", "", "| input | output | format | encoding | rows | input fingerprint | output fingerprint |",
              "|---|---|---|---|---|---|---|"]
    for f in data["files"]:
        if f.get("error"):
            lines.append(f"| {f['input']} | not written: {f['error']} | | | | | |")
            continue
        lines.append(f"| {f['input']} | {f['output']} | {f['format']} | {f.get('encoding') or ''} | {f['rows']:,} | "
                     f"`{f['input_fingerprint']}` | `{f['output_fingerprint']}` |")
    lines += ["", "## The law", ""] + [f"- {n['en']}" for n in data["law"]] + [f"- {n['en']}" for n in data["notes"]]
    lines += ["", f"Rescan the copies with `chujing scan OUTDIR --decisions OUTDIR/{DECISIONS}`: "
              "pseudonymised and generalised columns are counted as the personal information they still are.", ""]
    return "\n".join(lines)
