"""Excel and JSON Lines beside CSV: the same rows scanned from each, time and peak memory.

    python benchmarks/bench_inputs.py --rows 300000            # xlsx (Excel and POI styles), JSONL, CSV
    python benchmarks/bench_inputs.py --rows 100000 --rows 300000   # how memory grows with the rows

Writes the files under ``benchmarks/data/`` with the tests' own small writer
(``tests/interface/office_files.py``), then runs ``chujing scan`` on each in its own process
(peak RSS is the process's own, from ``wait4``) and prints seconds, rows/s, MB/s and peak RSS.
An .xlsx sheet is held in memory by calamine while it is read (about the size of its XML):
the figures show that cost beside the streamed CSV and JSON Lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
sys.path.insert(0, str(ROOT / "tests" / "interface"))

import office_files  # noqa: E402

HEADER = ["姓名", "证件号码", "手机", "邮箱", "地址", "订单号", "金额", "下单时间", "备注", "渠道"]


def rows(n: int):
    persons = office_files.people(min(n, 50_000), seed=7)
    rng = random.Random(3)
    for i in range(n):
        p = persons[rng.randrange(len(persons))]
        yield [p["name"], p["id"], p["phone"], p["email"], f"北京市朝阳区建国路{i % 300}号", f"SO{i:010d}",
               round(rng.random() * 500, 2), f"2026-05-{1 + i % 28:02d} 10:{i % 60:02d}:00", "无", "app"]


def write_all(n: int) -> dict[str, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    out = {"csv": DATA / f"inputs_{n}.csv", "jsonl": DATA / f"inputs_{n}.jsonl",
           "xlsx (Excel)": DATA / f"inputs_{n}_excel.xlsx", "xlsx (POI)": DATA / f"inputs_{n}_poi.xlsx"}
    if not out["csv"].exists():
        with open(out["csv"], "w", encoding="utf-8") as fh:
            fh.write(",".join(HEADER) + "\n")
            for r in rows(n):
                fh.write(",".join(str(v) for v in r) + "\n")
    if not out["jsonl"].exists():
        with open(out["jsonl"], "w", encoding="utf-8") as fh:
            for r in rows(n):
                fh.write(json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) + "\n")
    for key, shared in (("xlsx (Excel)", True), ("xlsx (POI)", False)):
        if not out[key].exists():
            office_files.write_xlsx(out[key], {"Sheet1": [HEADER, *rows(n)]}, shared_strings=shared)
    return out


def measure_child(path: Path) -> tuple[float, int, int]:
    """``measure`` with the child's own peak RSS (wait4 before communicate would deadlock on big output)."""
    cmd = [sys.executable, "-m", "scanner.cli", "scan", str(path), "--format", "json", "-q", "-o", os.devnull]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 10, 20, 30):
        print(proc.stderr.read().decode()[-2000:], file=sys.stderr)
    return seconds, usage.ru_maxrss // 1024, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per file (repeatable; default 300000)")
    args = parser.parse_args()
    for n in args.rows or [300_000]:
        files = write_all(n)
        print(f"\n{n:,} rows x {len(HEADER)} columns")
        print(f"{'input':<14} {'MB on disk':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9}")
        for name, path in files.items():
            seconds, rss, code = measure_child(path)
            size = path.stat().st_size / (1 << 20)
            print(f"{name:<14} {size:>10.1f} {seconds:>8.1f} {n / seconds:>10,.0f} {rss:>6,} MB  (exit {code})")


if __name__ == "__main__":
    main()
