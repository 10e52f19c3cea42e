"""Scan speed and memory on a big export, beside the plain pyarrow read of the same file.

    python benchmarks/bench_scan.py --size 1GB --format csv
    python benchmarks/bench_scan.py --size 1GB --format parquet

Builds the file with ``sample_data/generate.py --big`` (not committed; kept under
``benchmarks/data/``), then runs, each in its own process so that peak RSS is the process's own:
the plain pyarrow read, and ``chujing scan`` (sampled classification, exact person counting over
every row). Prints rows/s, MB/s, peak RSS and the ratio to the plain read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"


def parse_size(text: str) -> int:
    text = text.strip().upper()
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def run_measured(cmd: list[str]) -> tuple[float, int, int, str]:
    """Run a command; return wall seconds, peak RSS in MB, exit status and stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_chunks = []
    # wait4 gives the child's own resource usage (ru_maxrss in KB on Linux).
    assert proc.stdout is not None
    out_chunks.append(proc.stdout.read())
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 10, 20, 30):
        print(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}", file=sys.stderr)
    return seconds, usage.ru_maxrss // 1024, proc.returncode, "".join(out_chunks)


PLAIN_READ = {
    "csv": "import pyarrow.csv as c, sys; t = c.read_csv(sys.argv[1]); print(t.num_rows)",
    "parquet": "import pyarrow.parquet as p, sys; t = p.read_table(sys.argv[1]); print(t.num_rows)",
}
STREAM_READ = {
    "csv": ("import pyarrow.csv as c, sys; r = c.open_csv(sys.argv[1], read_options=c.ReadOptions(block_size=16<<20)); "
            "print(sum(b.num_rows for b in r))"),
    "parquet": "import pyarrow.parquet as p, sys; print(sum(b.num_rows for b in p.ParquetFile(sys.argv[1]).iter_batches()))",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--format", choices=["csv", "parquet"], default="csv")
    ap.add_argument("--path", default=None, help="use this file instead of generating one")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="extra arguments for chujing scan")
    args = ap.parse_args()

    path = Path(args.path) if args.path else DATA / f"big_{args.size.lower()}.{args.format}"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", flush=True)
        subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--big", str(path),
                        "--size", args.size, "--format", args.format], check=True)
    size_mb = path.stat().st_size / (1 << 20)
    python = sys.executable
    chujing = str(Path(python).with_name("chujing"))

    read_s, read_rss, _, out = run_measured([python, "-c", PLAIN_READ[args.format], str(path)])
    rows = int(out.strip().splitlines()[-1])
    stream_s, stream_rss, _, _ = run_measured([python, "-c", STREAM_READ[args.format], str(path)])
    DATA.mkdir(parents=True, exist_ok=True)
    report_path = DATA / "bench_report.json"
    scan_s, scan_rss, code, _ = run_measured([chujing, "scan", str(path), "--format", "json", "-o", str(report_path),
                                              *args.extra])
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    persons = report.get("persons", {})

    print(f"\nfile: {path.name}  {size_mb:,.0f} MB  {rows:,} rows  ({args.format})")
    print(f"{'':28}{'seconds':>9}{'rows/s':>14}{'MB/s':>9}{'peak RSS MB':>13}")
    for label, s, rss in (("pyarrow read (whole table)", read_s, read_rss),
                          ("pyarrow streaming read", stream_s, stream_rss),
                          ("chujing scan", scan_s, scan_rss)):
        print(f"{label:28}{s:9.2f}{rows / s:14,.0f}{size_mb / s:9.1f}{rss:13,}")
    print(f"\nscan / plain read: {scan_s / read_s:.2f}x   scan exit status {code}")
    print(f"persons: {persons.get('personal')} (sensitive {persons.get('sensitive')}), verdict {report.get('verdict', {}).get('path')}")


if __name__ == "__main__":
    main()
