"""Recall and false flags of names and addresses in prose, sentence by sentence.

Reads ``tests/detectors/ner_eval/ner_eval.tsv`` (written for the project by ``make_ner_eval.py``) or any
file of the same columns given on the command line, runs :func:`detectors.ner.find_entities` on
every sentence and prints, for names and for addresses, the share of sentences holding one that
were flagged (recall) and the share of sentences holding none that were flagged (false flags),
overall and per genre, then the speed.

    python benchmarks/eval_ner.py [FILE.tsv] [--show-misses]
"""

from __future__ import annotations

import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detectors.ner import ADDRESS, PERSON, find_entities_batch, lexicon  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "detectors" / "ner_eval" / "ner_eval.tsv"


def evaluate(rows: list[dict[str, str]]) -> dict[str, dict[str, list[int]]]:
    """Per genre (and ``all``), per label: [flagged with, total with, flagged without, total without]."""
    stats: dict[str, dict[str, list[int]]] = defaultdict(lambda: {PERSON: [0, 0, 0, 0], ADDRESS: [0, 0, 0, 0]})
    found = find_entities_batch([row["sentence"] for row in rows])
    for row, entities in zip(rows, found, strict=True):
        labels = {label for label, *_ in entities}
        for label, column in ((PERSON, "has_name"), (ADDRESS, "has_address")):
            truth = row[column] == "1"
            for genre in (row["genre"], "all"):
                s = stats[genre][label]
                if truth:
                    s[0] += label in labels
                    s[1] += 1
                else:
                    s[2] += label in labels
                    s[3] += 1
    return stats


def main(argv: list[str]) -> int:
    show = "--show-misses" in argv
    paths = [a for a in argv if not a.startswith("--")]
    path = Path(paths[0]) if paths else DEFAULT
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    start = time.perf_counter()
    lexicon()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    stats = evaluate(rows)
    took = time.perf_counter() - start
    print(f"{path.name}: {len(rows)} sentences")
    print(f"{'genre':<16}{'name recall':>14}{'name false':>12}{'addr recall':>14}{'addr false':>12}")
    for genre in sorted(stats, key=lambda g: (g == "all", g)):
        cells = []
        for label in (PERSON, ADDRESS):
            hit, n_with, false, n_without = stats[genre][label]
            cells.append(f"{hit / n_with:.3f} ({n_with})" if n_with else "-")
            cells.append(f"{false / n_without:.3f}" if n_without else "-")
        print(f"{genre:<16}{cells[0]:>14}{cells[1]:>12}{cells[2]:>14}{cells[3]:>12}")
    print(f"models loaded in {loaded:.2f} s; {len(rows) / took:,.0f} sentences/s")
    if show:
        for row, entities in zip(rows, find_entities_batch([row["sentence"] for row in rows]), strict=True):
            labels = {label for label, *_ in entities}
            for label, column in ((PERSON, "has_name"), (ADDRESS, "has_address")):
                if (row[column] == "1") != (label in labels):
                    kind = "miss" if row[column] == "1" else "false"
                    print(f"{kind:5} {label:8} {row['sentence']}  {entities}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
