"""Scan speed and memory on a big export, beside the plain pyarrow read of the same file.

    python benchmarks/bench_scan.py --size 1GB --format both     # CSV, then Parquet of the same rows
    python benchmarks/bench_scan.py --dataset ids-phones --rows 5000000 --format both   # 2 key columns
    python benchmarks/bench_scan.py --path my_export.csv
    python benchmarks/bench_scan.py --size 1GB --format csv --compare-with 835a9d6   # and an older version
    python benchmarks/bench_scan.py --size 1GB --scans full,record --repeat 3       # the best of 3 runs

Builds the file with ``sample_data/generate.py --big`` (not committed; kept under
``benchmarks/data/``): the 10-column export, or (``--dataset ids-phones``) resident ID numbers
and mobile phones only (the same generator's persons, 20% of rows repeating one). Then runs,
each in its own process so that peak RSS is the process's own: the plain pyarrow read (whole
table, and streaming), and ``chujing scan`` as ``--scans`` asks: ``sampled`` (sampled
classification, exact person counting over every row), ``full`` (``--full``: every value
validated) and ``record`` (``--full --record`` into a fresh ledger: every distinct key hashed
with the ledger's key). Prints seconds, rows/s, MB/s, peak RSS, each scan's ratio to the plain
read, what ``--record`` adds to the full scan, and the persons counted. ``--repeat N`` runs each
command N times, interleaved, and keeps each one's fastest run: the machine is shared and its
timings are noisy, so old and new are always measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"

SCANS = {"sampled": [], "full": ["--full"], "record": ["--full", "--record"]}
SCAN_LABELS = {"sampled": "chujing scan", "full": "chujing scan --full", "record": "chujing scan --full --record"}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Run a command; return wall seconds, peak RSS in MB, exit status and stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
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

# The ids-phones file: the big export's first persons, with their resident ID and mobile only.
IDS_PHONES_SCRIPT = """
import sys
import numpy as np, pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
sys.path.insert(0, sys.argv[1])
import generate as g
path, rows, fmt = sys.argv[2], int(sys.argv[3]), sys.argv[4]
names = ("id_number", "mobile")
persons = g.BigPersons(g.SEED)
fresh, written, chunk_no, writer = 0, 0, 0, None
sink = pa.OSFile(path, "wb")
while written < rows:
    n = min(100_000, rows - written)
    rng = np.random.default_rng([g.SEED, chunk_no])
    new = rng.random(n) >= 0.2
    if fresh == 0:
        new[0] = True
    c = np.cumsum(new)
    idx = np.where(new, fresh + c - 1, (rng.random(n) * (fresh + c)).astype(np.int64))
    fresh += int(c[-1])
    cols = persons.columns(idx.astype(np.int64), rng, names)
    table = pa.table({k: cols[k] for k in names})
    if writer is None:
        if fmt == "parquet":
            writer = pq.ParquetWriter(sink, table.schema, compression="snappy")
        else:
            sink.write((",".join(names) + "\\n").encode())
            writer = pacsv.CSVWriter(sink, table.schema, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="none"))
    writer.write_table(table)
    written += n
    chunk_no += 1
writer.close()
sink.close()
print(fresh)
"""


def ensure_file(path: Path, size: str | None, fmt: str, rows: int | None = None, dataset: str = "export") -> None:
    if path.exists():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    print(f"generating {path} ...", flush=True)
    if dataset == "ids-phones":
        subprocess.run([sys.executable, "-c", IDS_PHONES_SCRIPT, str(ROOT / "sample_data"), str(path),
                        str(rows or 5_000_000), fmt], check=True, stdout=subprocess.DEVNULL)
        return
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
    """``chujing scan`` of this checkout (``source`` None) or of an unpacked older one. With
    ``--record``, into a fresh ledger under a fresh key (removed afterwards)."""
    if source is None:
        command = [str(Path(sys.executable).with_name("chujing"))]
    else:
        command = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                   "from scanner.cli import run; sys.argv[0] = 'chujing'; run()", str(source)]
    env = None
    tmp = None
    if "--record" in extra:
        tmp = tempfile.mkdtemp(prefix="chujing-bench-")
        extra = [*extra, "--ledger", os.path.join(tmp, "ledger.sqlite")]
        env = dict(os.environ, CHUJING_LEDGER_KEY=os.urandom(32).hex())
    try:
        return run_measured([*command, "scan", str(path), "--format", "json", "-o", str(report_path), "--quiet", *extra],
                            env=env)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def best(runs: list[tuple[float, int, int, str]]) -> tuple[float, int, int, str]:
    """The fastest of several runs (its own peak RSS; the largest peak is kept beside it)."""
    fastest = min(runs, key=lambda r: r[0])
    return fastest[0], max(r[1] for r in runs), fastest[2], fastest[3]


def measure(path: Path, fmt: str, extra: list[str], scans: list[str], compare: Path | None = None,
            repeat: int = 1) -> dict:
    python = sys.executable
    DATA.mkdir(parents=True, exist_ok=True)
    # Every command of the round once, then again: old and new see the same load.
    jobs: dict[str, callable] = {
        "read": lambda: run_measured([python, "-c", PLAIN_READ[fmt], str(path)]),
        "stream": lambda: run_measured([python, "-c", STREAM_READ[fmt], str(path)]),
    }
    # Reports go to a folder of this run's own: two benchmarks running at once never read each
    # other's persons.
    out = Path(tempfile.mkdtemp(prefix="bench-", dir=DATA))
    report_paths: dict[str, Path] = {}
    for name in scans:
        report_paths[name] = out / f"{path.stem}_{fmt}_{name}.json"
        jobs[name] = (lambda rp=report_paths[name], n=name: scan_with(None, path, rp, [*SCANS[n], *extra]))
        if compare is not None and name != "record":
            report_paths[f"{name}@old"] = out / f"{path.stem}_{fmt}_{name}_{compare.name}.json"
            jobs[f"{name}@old"] = (lambda rp=report_paths[f"{name}@old"], n=name:
                                   scan_with(compare, path, rp, [*SCANS[n], *extra]))
    runs: dict[str, list] = {k: [] for k in jobs}
    for _ in range(max(1, repeat)):
        for key, job in jobs.items():
            runs[key].append(job())
            s, rss, code, _ = runs[key][-1]
            print(f"  {path.name} {key}: {s:.2f} s, peak RSS {rss:,} MB, exit {code}", file=sys.stderr, flush=True)
    measured = {k: best(v) for k, v in runs.items()}
    rows = int(measured["read"][3].strip().splitlines()[-1])
    reports = {k: json.loads(p.read_text()) if p.exists() else {} for k, p in report_paths.items()}
    shutil.rmtree(out, ignore_errors=True)
    return {"path": path, "fmt": fmt, "rows": rows, "mb": path.stat().st_size / (1 << 20), "scans": scans,
            "measured": measured, "reports": reports, "compare": compare.name if compare else None, "repeat": repeat}


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
    rows, mb, m = r["rows"], r["mb"], r["measured"]
    runs = f", best of {r['repeat']} runs each" if r["repeat"] > 1 else ""
    print(f"\nfile: {r['path'].name}  {mb:,.0f} MB  {rows:,} rows  ({r['fmt']}{runs})")
    print(f"{'':36}{'seconds':>9}{'rows/s':>12}{'MB/s':>8}{'peak RSS MB':>13}{'vs read':>9}  persons (sensitive)")
    read_s = m["read"][0]
    lines = [("pyarrow read (whole table)", "read"), ("pyarrow streaming read", "stream")]
    for name in r["scans"]:
        lines.append((SCAN_LABELS[name], name))
        if f"{name}@old" in m:
            lines.append((f"{SCAN_LABELS[name]} @{r['compare']}", f"{name}@old"))
    for label, key in lines:
        s, rss, code = m[key][0], m[key][1], m[key][2]
        persons = r["reports"].get(key, {}).get("persons", {})
        counted = f"  {persons.get('personal'):,} ({persons.get('sensitive'):,})" if persons else ""
        status = f"  exit {code}" if key not in ("read", "stream") and code not in (0, 10, 20, 30) else ""
        print(f"{label:36}{s:9.2f}{rows / s:12,.0f}{mb / s:8.1f}{rss:13,}{s / read_s:8.2f}x{counted}{status}")
    if "record" in m and "full" in m:
        added = m["record"][0] / m["full"][0] - 1
        print(f"--record adds {added:+.1%} to the full scan ({m['record'][0] - m['full'][0]:+.2f} s)")
    for name in r["scans"]:
        if f"{name}@old" in m:
            new, old = r["reports"].get(name, {}).get("persons", {}), r["reports"].get(f"{name}@old", {}).get("persons", {})
            print(f"{SCAN_LABELS[name]}: this / {r['compare']}: time {m[name][0] / m[name + '@old'][0]:.3f}x, "
                  f"peak RSS {m[name][1] / m[name + '@old'][1]:.3f}x; persons {new.get('personal')} vs "
                  f"{old.get('personal')} (sensitive {new.get('sensitive')} vs {old.get('sensitive')}) -> "
                  f"{'same' if new and new.get('personal') == old.get('personal') and new.get('sensitive') == old.get('sensitive') else 'DIFFERENT'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--rows", type=int, default=None, help="rows of the generated file (instead of --size)")
    ap.add_argument("--dataset", choices=["export", "ids-phones"], default="export",
                    help="export: the 10-column big export; ids-phones: resident IDs and mobiles only")
    ap.add_argument("--format", choices=["csv", "parquet", "both"], default="csv")
    ap.add_argument("--path", default=None, help="use this file instead of generating one")
    ap.add_argument("--scans", default="sampled,full,record",
                    help="which scans to time, comma-separated: sampled, full, record (default: all three)")
    ap.add_argument("--repeat", type=int, default=1, help="run every command this many times, keep the fastest")
    ap.add_argument("--presidio-rows", type=int, default=2000, help="rows of the presidio-structured slice (0: skip)")
    ap.add_argument("--compare-with", default=None, metavar="REV",
                    help="also run the chujing scan of this git revision on the same file, and print both")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="extra arguments for chujing scan")
    args = ap.parse_args()
    scans = [s.strip() for s in args.scans.split(",") if s.strip()]
    unknown = [s for s in scans if s not in SCANS]
    if unknown:
        ap.error(f"unknown scan {unknown[0]!r}: use {', '.join(SCANS)}")

    results = []
    compare = checkout(args.compare_with) if args.compare_with else None
    if args.path:
        fmt = "parquet" if args.path.endswith(".parquet") else "csv"
        results.append(measure(Path(args.path), fmt, args.extra, scans, compare, args.repeat))
    else:
        stem = f"ids_phones_{args.rows or 5_000_000}" if args.dataset == "ids-phones" else \
            (f"big_{args.rows}rows" if args.rows else f"big_{args.size.lower()}")
        csv_path = DATA / f"{stem}.csv"
        if args.format in ("csv", "both"):
            ensure_file(csv_path, args.size, "csv", args.rows, args.dataset)
            results.append(measure(csv_path, "csv", args.extra, scans, compare, args.repeat))
        if args.format in ("parquet", "both"):
            rows = results[0]["rows"] if results else args.rows
            pq_path = DATA / f"{stem}_rows.parquet"
            ensure_file(pq_path, args.size, "parquet", rows, args.dataset)
            results.append(measure(pq_path, "parquet", args.extra, scans, compare, args.repeat))
    for r in results:
        print_result(r)
    if args.presidio_rows and results and args.dataset == "export":
        r = results[0]
        p = presidio_structured_slice(r["path"], r["fmt"], args.presidio_rows, r["rows"])
        if p is None or "error" in p:
            print(f"\npresidio-structured: {p and p['error']}")
        else:
            scan_s = r["measured"][r["scans"][0]][0] if r["scans"] else r["measured"]["read"][0]
            print(f"\npresidio-structured on {p['rows']:,} rows: {p['seconds']:.1f} s, extrapolated to {r['rows']:,} rows: "
                  f"{p['extrapolated']:,.0f} s = {p['extrapolated'] / scan_s:,.0f}x chujing's {r['scans'][0] if r['scans'] else ''} scan")


if __name__ == "__main__":
    main()
