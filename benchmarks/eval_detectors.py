"""Score column classification against ``sample_data/truth.json``.

For every file in truth.json, every column is classified from a sample of its values (as the
scanner does: up to ``--sample`` values spread evenly over the file), and compared with the
entity the generator wrote down. Prints per-entity precision and recall, the decoys that were
labelled (there must be none), and exits 1 when an in-scope entity is below the target.

    .venv/bin/python benchmarks/eval_detectors.py                 # sample_data/, target 0.98
    .venv/bin/python benchmarks/eval_detectors.py --show-errors   # and every wrong column

Coordinates, media (faces by scikit-image's cascade), biometric vectors and templates, medical
and genetic columns are scored like every other entity. Trajectories are table-level: for each
file whose truth states ``trajectory_persons``, the file is scanned (``scanner.tables``) and the
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
            return pv.read_csv(path, read_options=pv.ReadOptions(encoding=enc, block_size=1 << 24), parse_options=parse)
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
    from scanner.pipeline import scan

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
    args = parser.parse_args(argv)
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
