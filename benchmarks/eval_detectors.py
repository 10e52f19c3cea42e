"""Score column classification against ``sample_data/truth.json`` and the published test vectors.

**Vectors** (``tests/detectors/vectors/<ENTITY>.tsv``): values from other projects' published
tests (python-stdnum, hutool, JioNLP, Presidio) and our own, each marked ``valid`` (the entity by
itself), ``ambiguous`` (valid alone, but a column of it is the entity only under its header: a
15-digit Amex number is also an IMEI's shape), ``header`` (the entity only under a header that
names it: the looser shape a header allows) or ``invalid``. Each is run
alone (``Detector.is_valid``), as a column under a neutral header and as a column under a typical
Chinese header; precision and recall per entity and setting are printed.

**sample_data**: for every file in truth.json, every column is classified from a sample of its values (as the
scanner does: up to ``--sample`` values spread evenly over the file), and compared with the
entity the generator wrote down. Prints per-entity precision and recall, the decoys that were
labelled (there must be none), and exits 1 when an in-scope entity is below the target.

    .venv/bin/python benchmarks/eval_detectors.py                 # sample_data/, target 0.98
    .venv/bin/python benchmarks/eval_detectors.py --show-errors   # and every wrong column
    .venv/bin/python benchmarks/eval_detectors.py --vectors-only  # the vectors alone (seconds)

Coordinates, media (faces by scikit-image's cascade), biometric vectors and templates, medical
and genetic columns are scored like every other entity. Trajectories are table-level: for each
file whose truth states ``trajectory_persons``, the file is scanned (``scanner.detect.tables``) and the
persons or vehicles with a trajectory must match exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.json as pj
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.classify import classify_column  # noqa: E402
from detectors.registry import builtin_detectors  # noqa: E402

TARGET = 0.98
DEFAULT_SAMPLE = 5000
VECTORS = ROOT / "tests" / "detectors" / "vectors"
NEUTRAL_HEADER = "col_a"
VECTOR_REPEAT = 5  # a vector's column: the value repeated (a column is never labelled from one value)
SETTINGS = ("alone", "neutral", "header")


@dataclass
class Vector:
    entity: str
    value: str
    expected: str  # valid, ambiguous, header, invalid
    source: str
    note: str = ""


@dataclass
class VectorFile:
    entity: str
    header: str
    sources: dict[str, str]
    vectors: list[Vector]


def load_vectors(directory: Path = VECTORS) -> list[VectorFile]:
    """Every ``<ENTITY>.tsv``: ``# header:`` and ``# source KEY:`` lines, then value/expected/source/note rows."""
    files = []
    for path in sorted(directory.glob("*.tsv")):
        entity, header, sources, vectors = path.stem, "", {}, []
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            if line.startswith("# header:"):
                header = line.split(":", 1)[1].strip()
            elif line.startswith("# source "):
                key, _, where = line[len("# source "):].partition(":")
                sources[key.strip()] = where.strip()
        rows = [line for line in lines if line and not line.startswith("#")]
        for row in rows[1:]:  # the first row names the fields
            value, expected, source, *note = row.split("\t")
            vectors.append(Vector(entity, value, expected, source, note[0] if note else ""))
        files.append(VectorFile(entity, header, sources, vectors))
    return files


@dataclass
class VectorOutcome:
    vector: Vector
    alone: bool
    neutral: str | None  # the entity the column was labelled
    header: str | None

    def expected(self, setting: str, requires_header: bool) -> bool:
        e = self.vector.expected
        if setting == "alone":
            return e in ("valid", "ambiguous")
        if setting == "neutral":
            return e == "valid" and not requires_header
        return e in ("valid", "ambiguous", "header")

    def found(self, setting: str) -> bool:
        if setting == "alone":
            return self.alone
        return (self.neutral if setting == "neutral" else self.header) == self.vector.entity


def run_vectors(files: list[VectorFile], detectors=None) -> list[VectorOutcome]:
    detectors = detectors or builtin_detectors()
    by_entity = {d.entity: d for d in detectors}
    out = []
    for f in files:
        det = by_entity.get(f.entity)
        if det is None:  # an entity this detector set does not have (an older version, a subset)
            continue
        for v in f.vectors:
            column = pa.array([v.value] * VECTOR_REPEAT, pa.string())
            out.append(VectorOutcome(
                v, det.is_valid(v.value),
                classify_column(NEUTRAL_HEADER, column, detectors).entity,
                classify_column(f.header, column, detectors).entity,
            ))
    return out


def vector_scores(outcomes: list[VectorOutcome], detectors=None) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(entity, setting) → (true positives, false positives, false negatives)."""
    by_entity = {d.entity: d for d in (detectors or builtin_detectors())}
    scores: dict[tuple[str, str], list[int]] = {}
    for o in outcomes:
        for setting in SETTINGS:
            want = o.expected(setting, by_entity[o.vector.entity].requires_header)
            got = o.found(setting)
            s = scores.setdefault((o.vector.entity, setting), [0, 0, 0])
            s[0] += want and got
            s[1] += got and not want
            s[2] += want and not got
    return {k: tuple(v) for k, v in scores.items()}


def report_vectors(outcomes: list[VectorOutcome], show_errors: bool) -> bool:
    scores = vector_scores(outcomes)
    entities = sorted({e for e, _ in scores})
    print(f"{'vectors: entity':28} {'n':>4}  " + "  ".join(f"{s + ' P/R':>15}" for s in SETTINGS))
    ok = True
    for entity in entities:
        n = sum(1 for o in outcomes if o.vector.entity == entity)
        cells = []
        for setting in SETTINGS:
            tp, fp, fn = scores[(entity, setting)]
            precision = tp / (tp + fp) if tp + fp else 1.0
            recall = tp / (tp + fn) if tp + fn else 1.0
            ok &= fp == 0 and fn == 0
            cells.append(f"{precision:6.2f} / {recall:5.2f}")
        print(f"{entity:28} {n:4d}  " + "  ".join(f"{c:>15}" for c in cells))
    by_entity = {d.entity: d for d in builtin_detectors()}
    exact = sum(all(o.found(s) == o.expected(s, by_entity[o.vector.entity].requires_header) for s in SETTINGS)
                for o in outcomes)
    print(f"{len(outcomes)} vectors in {len(entities)} files; {exact} read as expected in all three settings")
    if show_errors or not ok:
        for o in outcomes:
            for setting in SETTINGS:
                if o.found(setting) != o.expected(setting, by_entity[o.vector.entity].requires_header):
                    print(f"  {o.vector.entity} {o.vector.value} [{setting}] expected {o.vector.expected}: got "
                          f"{o.alone if setting == 'alone' else (o.neutral if setting == 'neutral' else o.header)}"
                          f" ({o.vector.source}{': ' + o.vector.note if o.vector.note else ''})")
    return ok


@dataclass
class Outcome:
    file: str
    column: str
    truth: str | None
    predicted: str | None
    decoy: bool
    evidence: str


@dataclass
class Evaluation:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    cells: int = 0

    def scores(self, in_scope: set[str]) -> dict[str, tuple[int, int, int]]:
        """entity → (true positives, false positives, false negatives)."""
        tp: Counter = Counter()
        fp: Counter = Counter()
        fn: Counter = Counter()
        for o in self.outcomes:
            if o.truth is not None and o.truth not in in_scope:
                continue  # another issue's entity: neither right nor wrong here
            if o.truth == o.predicted:
                if o.truth is not None:
                    tp[o.truth] += 1
                continue
            if o.predicted is not None:
                fp[o.predicted] += 1
            if o.truth is not None:
                fn[o.truth] += 1
        entities = sorted(set(tp) | set(fp) | set(fn))
        return {e: (tp[e], fp[e], fn[e]) for e in entities}

    def decoy_failures(self) -> list[Outcome]:
        """Decoys labelled as anything but their truth (null, or a non-personal entity such as CN_USCC)."""
        return [o for o in self.outcomes if o.decoy and o.predicted != o.truth]


def sniff_delimiter(path: Path, encoding: str) -> str:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        first = fh.readline().decode(encoding, errors="replace")
    return max(",\t|;", key=first.count)


def read_table(path: Path, encoding: str | None = None, delimiter: str | None = None) -> pa.Table:
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        return pq.read_table(path)
    if name.endswith((".jsonl", ".ndjson", ".json", ".jsonl.gz", ".json.gz")):
        return pj.read_json(path)
    encodings = [encoding] if encoding else ["utf-8", "gb18030"]
    last: Exception | None = None
    for enc in encodings:
        try:
            parse = pv.ParseOptions(delimiter=delimiter or sniff_delimiter(path, enc))
            read = pv.ReadOptions(encoding=enc, block_size=1 << 24)
            names = pv.read_csv(path, read_options=read, parse_options=parse).column_names
            # Every column as text, as the scanner reads CSV: inferring types would turn a column
            # of 19-digit card numbers into floats that lost their last digits.
            convert = pv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True)
            return pv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            last = exc
    raise ValueError(f"cannot read {path.name}: {last}")


def spread_sample(column: pa.ChunkedArray | pa.Array, size: int) -> pa.Array:
    n = len(column)
    if n <= size:
        return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    idx = np.linspace(0, n - 1, size).astype(np.int64)
    return column.take(pa.array(idx)).combine_chunks() if isinstance(column, pa.ChunkedArray) else column.take(pa.array(idx))


def evaluate(sample_dir: Path, sample: int = DEFAULT_SAMPLE, detectors=None) -> Evaluation:
    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    detectors = detectors or builtin_detectors()
    ev = Evaluation()
    start = time.perf_counter()
    for rel, entry in sorted(truth["files"].items()):
        path = sample_dir / rel
        cols = entry.get("columns") or {}
        if not cols:
            continue
        try:
            table = read_table(path, entry.get("encoding"), entry.get("delimiter"))
        except (OSError, ValueError, pa.ArrowInvalid) as exc:
            ev.skipped_files.append((rel, str(exc).splitlines()[0][:120]))
            continue
        decoys = set(entry.get("decoys") or ())
        for name, expected in cols.items():
            if name not in table.column_names:
                ev.skipped_files.append((f"{rel}:{name}", "column not in file"))
                continue
            values = spread_sample(table.column(name), sample)
            ev.cells += len(values)
            c = classify_column(name, values, detectors)
            ev.outcomes.append(Outcome(rel, name, expected, c.entity, name in decoys, c.evidence))
    ev.seconds = time.perf_counter() - start
    return ev


def evaluate_trajectories(sample_dir: Path) -> list[tuple[str, int, int | None]]:
    """(file, truth, scanned) trajectory persons for each file whose truth states them."""
    from scanner.engines.local import scan

    truth = json.loads((sample_dir / "truth.json").read_text(encoding="utf-8"))
    out = []
    for rel, entry in sorted(truth["files"].items()):
        if "trajectory_persons" not in entry:
            continue
        report = scan([str(sample_dir / rel)], sector=entry.get("sector", "other"))
        found = [t for f in report.files for t in (f.tables or []) if t.get("kind") == "trajectory"]
        out.append((rel, entry["trajectory_persons"], found[0]["persons"] if found else None))
    return out


def report(ev: Evaluation, in_scope: set[str], target: float, show_errors: bool) -> bool:
    scores = ev.scores(in_scope)
    ok = True
    print(f"{'entity':28} {'columns':>7} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
    for entity, (tp, fp, fn) in scores.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        flag = ""
        if precision < target or recall < target:
            ok = False
            flag = "  < target"
        print(f"{entity:28} {tp + fn:7d} {tp:4d} {fp:4d} {fn:4d} {precision:9.3f} {recall:7.3f}{flag}")
    decoys = [o for o in ev.outcomes if o.decoy]
    failures = ev.decoy_failures()
    print(f"\ndecoys: {len(decoys)} columns, {len(failures)} mislabelled (target 0)")
    out_of_scope = sorted({o.truth for o in ev.outcomes if o.truth is not None and o.truth not in in_scope})
    if out_of_scope:
        print(f"not scored (other issues): {', '.join(out_of_scope)}")
    print(f"{len(ev.outcomes)} columns in {len({o.file for o in ev.outcomes})} files, {ev.cells:,} sampled cells "
          f"classified in {ev.seconds:.2f} s")
    for where, why in ev.skipped_files:
        print(f"skipped {where}: {why}")
    if failures:
        ok = False
    if show_errors or not ok:
        wrong = [o for o in ev.outcomes if o.truth != o.predicted and (o.truth is None or o.truth in in_scope)]
        for o in wrong:
            print(f"  {o.file} :: {o.column}: truth {o.truth}, got {o.predicted}{' (decoy)' if o.decoy else ''} — {o.evidence}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-data", type=Path, default=ROOT / "sample_data")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="values sampled per column")
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--vectors", type=Path, default=VECTORS, help="folder of <ENTITY>.tsv vector files")
    parser.add_argument("--vectors-only", action="store_true", help="score the vectors, not sample_data")
    args = parser.parse_args(argv)
    vectors_ok = True
    if args.vectors.is_dir():
        vectors_ok = report_vectors(run_vectors(load_vectors(args.vectors)), args.show_errors)
        print()
    if args.vectors_only:
        print("PASS" if vectors_ok else "FAIL: a vector was misread")
        return 0 if vectors_ok else 1
    if not (args.sample_data / "truth.json").exists():
        print(f"no truth.json in {args.sample_data}: run sample_data/generate.py first", file=sys.stderr)
        return 2
    in_scope = {d.entity for d in builtin_detectors()}
    ev = evaluate(args.sample_data, args.sample)
    ok = report(ev, in_scope, args.target, args.show_errors)
    for rel, expected, scanned in evaluate_trajectories(args.sample_data):
        same = expected == scanned
        ok &= same
        print(f"trajectory persons {rel}: truth {expected}, scanned {scanned}{'' if same else '  MISMATCH'}")
    print("PASS" if ok else "FAIL: below target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
