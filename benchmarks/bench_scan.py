"""Scan speed and memory on a big export, beside the plain pyarrow read of the same file.

    python benchmarks/bench_scan.py --size 1GB --format both     # CSV, then Parquet of the same rows
    python benchmarks/bench_scan.py --path my_export.csv
    python benchmarks/bench_scan.py --size 1GB --format both --compare-with 835a9d6   # and an older version

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


def ensure_file(path: Path, size: str | None, fmt: str, rows: int | None = None) -> None:
    if path.exists():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"generating {path} ...", flush=True)
    how = ["--rows", str(rows)] if rows else ["--size", size or "1GB"]
    subprocess.run([sys.executable, str(ROOT / "sample_data" / "generate.py"), "--big", str(path), *how, "--format", fmt],
                   check=True, stdout=subprocess.DEVNULL)


def checkout(rev: str) -> Path:
    """The packages of an older commit, unpacked beside the data (``git archive``), to run its
    ``chujing scan`` in the same run as today's."""
    where = DATA / f"rev-{rev}"
    if not (where / "scanner").is_dir():
        where.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "scanner", "detectors", "mappings"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


def scan_with(source: Path | None, path: Path, report_path: Path, extra: list[str]) -> tuple[float, int, int, str]:
    """``chujing scan`` of this checkout (``source`` None) or of an unpacked older one."""
    if source is None:
        command = [str(Path(sys.executable).with_name("chujing"))]
    else:
        command = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                   "from scanner.cli import run; sys.argv[0] = 'chujing'; run()", str(source)]
    return run_measured([*command, "scan", str(path), "--format", "json", "-o", str(report_path), "--quiet", *extra])


def measure(path: Path, fmt: str, extra: list[str], compare: Path | None = None) -> dict:
    python = sys.executable
    read_s, read_rss, _, out = run_measured([python, "-c", PLAIN_READ[fmt], str(path)])
    rows = int(out.strip().splitlines()[-1])
    stream_s, stream_rss, _, _ = run_measured([python, "-c", STREAM_READ[fmt], str(path)])
    DATA.mkdir(parents=True, exist_ok=True)
    report_path = DATA / f"bench_report_{fmt}.json"
    scan_s, scan_rss, code, _ = scan_with(None, path, report_path, extra)
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    result = {"path": path, "fmt": fmt, "rows": rows, "mb": path.stat().st_size / (1 << 20), "read": (read_s, read_rss),
              "stream": (stream_s, stream_rss), "scan": (scan_s, scan_rss), "code": code, "report": report}
    if compare is not None:
        old_path = DATA / f"bench_report_{fmt}_{compare.name}.json"
        old_s, old_rss, _, _ = scan_with(compare, path, old_path, extra)
        old = json.loads(old_path.read_text()) if old_path.exists() else {}
        result["compare"] = {"name": compare.name, "scan": (old_s, old_rss), "report": old}
    return result


def presidio_structured_slice(path: Path, fmt: str, rows: int, total_rows: int) -> dict | None:
    """presidio-structured on the first ``rows`` rows with our zh recognizers, extrapolated."""
    try:
        import pandas as pd
        from presidio_structured import PandasAnalysisBuilder

        from detectors.presidio import build_analyzer
    except ImportError as exc:
        return {"error": f"presidio-structured not installed ({exc})"}
    if fmt == "csv":
        import pyarrow.csv as pacsv

        reader = pacsv.open_csv(str(path))
        table = reader.read_next_batch().slice(0, rows)
    else:
        import pyarrow.parquet as pq

        table = next(pq.ParquetFile(str(path)).iter_batches(batch_size=rows))
    df = pd.DataFrame({n: [None if v is None else str(v) for v in table.column(n).to_pylist()] for n in table.column_names})
    builder = PandasAnalysisBuilder(analyzer=build_analyzer())
    started = time.perf_counter()
    builder.generate_analysis(df, language="zh")
    seconds = time.perf_counter() - started
    return {"rows": len(df), "seconds": seconds, "extrapolated": seconds * total_rows / max(1, len(df))}


def print_result(r: dict) -> None:
    rows, mb = r["rows"], r["mb"]
    print(f"\nfile: {r['path'].name}  {mb:,.0f} MB  {rows:,} rows  ({r['fmt']})")
    print(f"{'':30}{'seconds':>9}{'rows/s':>14}{'MB/s':>9}{'peak RSS MB':>13}")
    for label, key in (("pyarrow read (whole table)", "read"), ("pyarrow streaming read", "stream"), ("chujing scan", "scan")):
        s, rss = r[key]
        print(f"{label:30}{s:9.2f}{rows / s:14,.0f}{mb / s:9.1f}{rss:13,}")
    persons = r["report"].get("persons", {})
    print(f"chujing scan / pyarrow read: {r['scan'][0] / r['read'][0]:.2f}x   exit status {r['code']}   "
          f"persons {persons.get('personal')} (sensitive {persons.get('sensitive')})")
    if "compare" in r:
        c = r["compare"]
        old = c["report"].get("persons", {})
        print(f"{'chujing scan at ' + c['name']:30}{c['scan'][0]:9.2f}{rows / c['scan'][0]:14,.0f}"
              f"{mb / c['scan'][0]:9.1f}{c['scan'][1]:13,}")
        print(f"this scan / {c['name']}: time {r['scan'][0] / c['scan'][0]:.3f}x, peak RSS {r['scan'][1] / c['scan'][1]:.3f}x; "
              f"persons {persons.get('personal')} vs {old.get('personal')} "
              f"(sensitive {persons.get('sensitive')} vs {old.get('sensitive')})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--format", choices=["csv", "parquet", "both"], default="csv")
    ap.add_argument("--path", default=None, help="use this file instead of generating one")
    ap.add_argument("--presidio-rows", type=int, default=2000, help="rows of the presidio-structured slice (0: skip)")
    ap.add_argument("--compare-with", default=None, metavar="REV",
                    help="also run the chujing scan of this git revision on the same file, and print both")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="extra arguments for chujing scan")
    args = ap.parse_args()

    results = []
    compare = checkout(args.compare_with) if args.compare_with else None
    if args.path:
        fmt = "parquet" if args.path.endswith(".parquet") else "csv"
        results.append(measure(Path(args.path), fmt, args.extra, compare))
    else:
        csv_path = DATA / f"big_{args.size.lower()}.csv"
        if args.format in ("csv", "both"):
            ensure_file(csv_path, args.size, "csv")
            results.append(measure(csv_path, "csv", args.extra, compare))
        if args.format in ("parquet", "both"):
            rows = results[0]["rows"] if results else None
            pq_path = DATA / f"big_{args.size.lower()}_rows.parquet"
            ensure_file(pq_path, args.size, "parquet", rows=rows)
            results.append(measure(pq_path, "parquet", args.extra, compare))
    for r in results:
        print_result(r)
    if args.presidio_rows and results:
        r = results[0]
        p = presidio_structured_slice(r["path"], r["fmt"], args.presidio_rows, r["rows"])
        if p is None or "error" in p:
            print(f"\npresidio-structured: {p and p['error']}")
        else:
            print(f"\npresidio-structured on {p['rows']:,} rows: {p['seconds']:.1f} s, extrapolated to {r['rows']:,} rows: "
                  f"{p['extrapolated']:,.0f} s = {p['extrapolated'] / r['scan'][0]:,.0f}x chujing's full scan")


if __name__ == "__main__":
    main()
