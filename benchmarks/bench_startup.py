"""How long the ``chujing`` command takes to start, and to scan a small CSV, measured in one run.

Each command runs as a fresh ``python -m scanner.cli`` process, ``--runs`` times; the best wall
time and the best CPU time (user + system, the child's) are printed. With ``--against TREE`` (an
unpacked older revision: ``git archive REV | tar -x -C TREE``) each run of this tree is followed by
the same run of that one, so that both see the same load, and the ratio is printed too.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--against /tmp/old-tree]

Python writes no bytecode cache when ``PYTHONDONTWRITEBYTECODE`` is set: every start then compiles
the source of each module it imports, which lazy imports save as well. The figures say which.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL_CSV = ROOT / "sample_data" / "handwritten" / "customers_handwritten.csv"


def commands(out: str) -> list[list[str]]:
    scan = ["scan", str(SMALL_CSV), "--format", "json", "-o", out]
    return [["--version"], ["scan", "--help"], ["--help"], ["rules", "list"], scan]


def run_once(tree: Path, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m scanner.cli ARGS`` started in ``tree``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scanner.cli", *args], cwd=tree, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env={**os.environ, "PYTHONPATH": str(tree)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, default=None, help="an older tree to compare with")
    args = parser.parse_args()
    trees = [ROOT] + ([args.against.resolve()] if args.against else [])
    print(f"python {sys.version.split()[0]}, PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}, "
          f"load average {os.getloadavg()[0]:.2f} at the start; best of {args.runs}")
    with tempfile.TemporaryDirectory() as tmp:
        for cmd in commands(os.path.join(tmp, "report.json")):
            best = {tree: [float("inf"), float("inf")] for tree in trees}
            for _ in range(args.runs):
                for tree in trees:
                    wall, cpu = run_once(tree, cmd)
                    best[tree] = [min(best[tree][0], wall), min(best[tree][1], cpu)]
            shown = " ".join(cmd).replace(str(SMALL_CSV), SMALL_CSV.name).replace(tmp + os.sep, "")
            wall, cpu = best[ROOT]
            line = f"chujing {shown:<45} wall {wall:6.3f} s  cpu {cpu:6.3f} s"
            if args.against:
                old_wall, old_cpu = best[trees[1]]
                line += (f"   against: wall {old_wall:6.3f} s  cpu {old_cpu:6.3f} s"
                         f"   ({wall / old_wall:.2f}x, {cpu / old_cpu:.2f}x)")
            print(line, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
