"""How fast a folder of many small exports scans, with and without ``--record``.

Writes folders of 2,000 and 20,000 small CSV files, and as many small Parquet files (5 persons
each: name, resident ID, mobile, bank card, e-mail; all files share one header, as a split
export does) in a temporary directory, then runs the real command on each folder, once plain
and once recording into a fresh ledger, and prints files, seconds, milliseconds a file, files
per second and the child's peak RSS, with the load average at the start of each run (other
work on the machine slows every figure). The command's start-up (imports) is printed apart,
from a scan of a one-file folder; ``ms/file`` counts it, ``ms/file*`` leaves it out.

Each folder is scanned with each ``--jobs`` setting in turn (``CHUJING_JOBS``: 2 lets a second
process prepare some of the files, 1 keeps the scan in one process) and, with ``--baseline
DIR`` (a checkout of an older tree, e.g. ``git archive <commit> | tar -x -C DIR``), by that
tree's code too (with the same settings), one after the other in the same run: the figures of one
run compare.

    .venv/bin/python benchmarks/bench_small_files.py [--files 2000 20000] [--rows 5] [--kinds csv parquet]
        [--jobs 2 1] [--baseline DIR] [--no-record]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
REGIONS = ("110105", "310104", "440305", "510107", "330106", "420111", "120101", "610113")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉梅飞鹏"


def _resident_id(rng: random.Random) -> str:
    body = f"{rng.choice(REGIONS)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" \
           f"{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _card(rng: random.Random) -> str:
    body = "622202" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


HEADER = ["姓名", "身份证号", "手机号", "银行卡号", "电子邮箱"]


def write_folder(folder: Path, files: int, rows: int, seed: int = 17, kind: str = "csv") -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    n = 0
    for i in range(files):
        records = []
        for _ in range(rows):
            n += 1
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            records.append([name, _resident_id(rng), f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}",
                            _card(rng), f"user{n:07d}@example.cn"])
        if kind == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.table({h: [r[k] for r in records] for k, h in enumerate(HEADER)})
            pq.write_table(table, folder / f"part-{i:05d}.parquet")
            continue
        lines = [",".join(HEADER)] + [",".join(r) for r in records]
        (folder / f"part-{i:05d}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_scan(folder: Path, work: Path, record: bool, jobs: int | None = None, tree: Path = ROOT,
             ) -> tuple[float, float, int, float]:
    """Seconds, peak RSS (MB; of the scan's own process), exit status and CPU seconds (the
    scan's and its worker's) of one scan in a child process, run with ``CHUJING_JOBS=jobs`` by
    the code of ``tree``."""
    args = [sys.executable, "-c", "from scanner.cli import run; run()", "scan", str(folder), "--format", "json",
            "-o", os.devnull, "--quiet"]
    if record:
        ledger = work / f"ledger-{folder.name}-{time.monotonic_ns()}.db"
        args += ["--ledger", str(ledger), "--ledger-key", str(work / "ledger.key"), "--record",
                 "--transfer-id", f"bench-{folder.name}"]
    # /usr/bin/time would need to be installed; the child's own peak is read from wait4.
    env = dict(os.environ)
    if jobs is not None:
        env["CHUJING_JOBS"] = str(jobs)
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 10, 20, 30):
        sys.exit(f"scan of {folder.name} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[2_000, 20_000])
    parser.add_argument("--rows", type=int, default=5, help="persons per file")
    parser.add_argument("--kinds", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2, 1], help="CHUJING_JOBS settings to run")
    parser.add_argument("--baseline", type=Path,
                        help="an older tree to run beside this one, with each --jobs setting (a tree older than the "
                             "worker process runs in one process whatever the setting)")
    parser.add_argument("--no-record", action="store_true", help="plain scans only")
    args = parser.parse_args()
    runs = [("this", ROOT, jobs) for jobs in args.jobs]
    if args.baseline:
        runs += [("baseline", args.baseline.resolve(), jobs) for jobs in args.jobs]
    with tempfile.TemporaryDirectory(prefix="chujing-small-") as tmp:
        work = Path(tmp)
        write_folder(work / "one", 1, args.rows)
        load = os.getloadavg()[0]
        startup, rss, _, _ = run_scan(work / "one", work, record=False)
        print(f"start-up (one file): {startup:.2f} s, peak RSS {rss:.0f} MB (load {load:.1f})")
        print(f"{'kind':>8} {'files':>7} {'code':>8} {'jobs':>4} {'mode':>9} {'seconds':>8} {'ms/file':>8} "
              f"{'ms/file*':>9} {'files/s':>8} {'CPU s':>6} {'peak MB':>8} {'load':>5}")
        for kind in args.kinds:
            for files in args.files:
                folder = work / f"{kind}{files}"
                write_folder(folder, files, args.rows, seed=files, kind=kind)
                for code, tree, jobs in runs:
                    plain = None
                    for record in (False,) if args.no_record else (False, True):
                        load = os.getloadavg()[0]
                        seconds, rss, _, cpu = run_scan(folder, work, record, jobs, tree)
                        per_file = max(0.0, seconds - startup) / files * 1000
                        print(f"{kind:>8} {files:>7} {code:>8} {jobs:>4} {'--record' if record else 'plain':>9} "
                              f"{seconds:>8.1f} {seconds / files * 1000:>8.2f} {per_file:>9.2f} {files / seconds:>8.0f} "
                              f"{cpu:>6.1f} {rss:>8.0f} {load:>5.1f}", flush=True)
                        if record:
                            print(f"{'':>8} {'':>7} --record adds {100 * (seconds / plain - 1):.0f}%")
                        plain = seconds
    print("* start-up left out")


if __name__ == "__main__":
    main()
